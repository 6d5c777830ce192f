// Package netconf configures the instance's network interfaces from the
// cloud's per-NIC settings through netlink: each setting is matched to an
// interface by MAC address (falling back to eth0/eth1, then to the
// first/second non-loopback interface), gets its address and netmask and
// is brought up; NIC 0's gateway becomes the default route. Addresses the
// setting does not name are removed from the interface (IPv4 always,
// IPv6 when the setting is IPv6; IPv6 link-local addresses stay), and a
// DHCP client serving only such interfaces is stopped first, so the
// instance keeps exactly the address the cloud gave it.
//
// Planning is separate from applying: Plan looks at a snapshot of the
// interfaces and returns the actions, so the rules are tested without a
// kernel, and Apply carries the actions out through a System.
package netconf

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/luoyun/osmanager/pkg/lyconf"
)

// Link is what the planner knows about one interface.
type Link struct {
	Index    int
	Name     string
	MAC      net.HardwareAddr
	Loopback bool
	Up       bool
	Addrs    []netip.Prefix
}

// Route is an existing default route.
type Route struct {
	LinkIndex int
	Gateway   netip.Addr // invalid for a route without a gateway
}

// Client is a running DHCP client (dhclient, dhcpcd, udhcpc) of the
// namespace.
type Client struct {
	PID   int
	Name  string // dhclient, dhcpcd or udhcpc
	Links []int  // indexes of the interfaces its command line names; none: every interface
}

func (c Client) String() string { return fmt.Sprintf("%s (pid %d)", c.Name, c.PID) }

// Snapshot is the state Plan works from.
type Snapshot struct {
	Links    []Link
	Defaults []Route  // default routes of the main table
	Clients  []Client // DHCP clients running in the namespace
}

// ActionKind is one kind of change.
type ActionKind int

const (
	// AddAddr adds Addr to the link.
	AddAddr ActionKind = iota
	// LinkUp brings the link up.
	LinkUp
	// SetDefault makes Gateway the only default route of its family.
	SetDefault
	// DelAddr removes Addr from the link.
	DelAddr
	// StopClient stops the DHCP client Client, which serves only links
	// that osc configures, so that it cannot put its lease back.
	StopClient
)

// Action is one change to make.
type Action struct {
	Kind    ActionKind
	Link    Link
	Addr    netip.Prefix
	Gateway netip.Addr
	Client  Client
}

func (a Action) String() string {
	switch a.Kind {
	case AddAddr:
		return fmt.Sprintf("add %s to %s", a.Addr, a.Link.Name)
	case LinkUp:
		return fmt.Sprintf("bring %s up", a.Link.Name)
	case DelAddr:
		return fmt.Sprintf("remove %s from %s", a.Addr, a.Link.Name)
	case StopClient:
		return fmt.Sprintf("stop %s", a.Client)
	default:
		return fmt.Sprintf("default route via %s dev %s", a.Gateway, a.Link.Name)
	}
}

// NICPlan is what Plan decided for one NIC setting.
type NICPlan struct {
	Index   int      // position in the JSON network list
	Link    *Link    // matched interface; nil when none
	MatchBy string   // "mac", "name" or "position"
	Skip    string   // why nothing is done, when set
	Err     error    // invalid setting or no interface
	Actions []Action // changes to make; empty when already as asked
	Notes   []string // what osc saw but left alone (a DHCP client it may not stop)
}

// Plan decides what to do for each NIC setting.
func Plan(nics []lyconf.NIC, snap Snapshot) []NICPlan {
	links := append([]Link(nil), snap.Links...)
	sort.Slice(links, func(i, j int) bool { return links[i].Index < links[j].Index })
	claimed := map[int]bool{}
	var plans []NICPlan
	// MAC matches first, so that a fallback never takes an interface
	// whose MAC another setting names.
	matched := make([]*Link, len(nics))
	how := make([]string, len(nics))
	for i, n := range nics {
		mac, err := net.ParseMAC(strings.TrimSpace(n.MAC))
		if err != nil {
			continue
		}
		for j := range links {
			if !claimed[links[j].Index] && macEqual(links[j].MAC, mac) {
				matched[i], how[i] = &links[j], "mac"
				claimed[links[j].Index] = true
				break
			}
		}
	}
	for i := range nics {
		if matched[i] != nil {
			continue
		}
		for j := range links {
			if links[j].Name == "eth"+strconv.Itoa(i) && !claimed[links[j].Index] {
				matched[i], how[i] = &links[j], "name"
				claimed[links[j].Index] = true
				break
			}
		}
	}
	var others []*Link
	for j := range links {
		if !links[j].Loopback {
			others = append(others, &links[j])
		}
	}
	for i := range nics {
		if matched[i] == nil && i < len(others) && !claimed[others[i].Index] {
			matched[i], how[i] = others[i], "position"
			claimed[others[i].Index] = true
		}
	}
	for i, n := range nics {
		p := NICPlan{Index: i, Link: matched[i], MatchBy: how[i]}
		p.Actions, p.Skip, p.Err = planNIC(i, n, matched[i], snap.Defaults)
		plans = append(plans, p)
	}
	planClients(plans, snap.Clients)
	return plans
}

// planClients puts a StopClient first in the plan of a NIC whose link a
// DHCP client serves, when every link that client names is one osc
// configures; a client that also serves other links, or every link, is
// left running (a NIC osc does not configure is left alone) and noted.
func planClients(plans []NICPlan, clients []Client) {
	configured := map[int]int{} // link index -> plan
	for i, p := range plans {
		if p.Link != nil && p.Err == nil && p.Skip == "" {
			configured[p.Link.Index] = i
		}
	}
	for _, c := range clients {
		var mine []int
		for _, l := range c.Links {
			if i, ok := configured[l]; ok {
				mine = append(mine, i)
			}
		}
		switch {
		case len(c.Links) == 0:
			for _, i := range configured {
				plans[i].Notes = append(plans[i].Notes, fmt.Sprintf("%s serves every interface: left running", c))
			}
		case len(mine) == len(c.Links):
			p := &plans[mine[0]]
			p.Actions = append([]Action{{Kind: StopClient, Link: *p.Link, Client: c}}, p.Actions...)
		default:
			for _, i := range mine {
				plans[i].Notes = append(plans[i].Notes, fmt.Sprintf("%s also serves interfaces osc does not configure: left running", c))
			}
		}
	}
}

func macEqual(a, b net.HardwareAddr) bool {
	return len(a) > 0 && a.String() == b.String()
}

func planNIC(i int, n lyconf.NIC, l *Link, defaults []Route) ([]Action, string, error) {
	if strings.TrimSpace(n.IP) == "" {
		return nil, "no ip: left to the distribution", nil
	}
	addr, err := parseAddr(n.IP, n.Netmask)
	if err != nil {
		return nil, "", err
	}
	var gw netip.Addr
	if g := strings.TrimSpace(n.Gateway); g != "" {
		gw, err = netip.ParseAddr(g)
		if err != nil || gw.Zone() != "" {
			return nil, "", fmt.Errorf("gateway %q is not an IP address", clip(n.Gateway))
		}
		if gw.Is4() != addr.Addr().Is4() {
			return nil, "", fmt.Errorf("gateway %s and address %s are of different families", gw, addr)
		}
	}
	if i > 0 && !gw.IsValid() {
		return nil, fmt.Sprintf("nic %d has no gateway (a second NIC needs one)", i), nil
	}
	if l == nil {
		return nil, "", fmt.Errorf("no interface with mac %s, no eth%d and no interface number %d", n.MAC, i, i+1)
	}
	var acts []Action
	has := false
	for _, a := range l.Addrs {
		switch {
		case a == addr:
			has = true
		case a.Addr().Is4() || addr.Addr().Is6() && !a.Addr().IsLinkLocalUnicast():
			// Not the cloud's: a DHCP lease, an image's static address.
			acts = append(acts, Action{Kind: DelAddr, Link: *l, Addr: a})
		}
	}
	// After a removal the address is added again even if it was there:
	// removing a primary address takes the secondaries of its subnet with
	// it unless promote_secondaries is set.
	if !has || len(acts) > 0 {
		acts = append(acts, Action{Kind: AddAddr, Link: *l, Addr: addr})
	}
	if !l.Up {
		acts = append(acts, Action{Kind: LinkUp, Link: *l})
	}
	if i == 0 && gw.IsValid() && !onlyDefault(defaults, l.Index, gw) {
		acts = append(acts, Action{Kind: SetDefault, Link: *l, Gateway: gw})
	}
	return acts, "", nil
}

// onlyDefault reports whether the default routes of gw's family are just
// the one via gw on link.
func onlyDefault(defaults []Route, link int, gw netip.Addr) bool {
	found := false
	for _, r := range defaults {
		if r.Gateway.IsValid() && r.Gateway.Is4() != gw.Is4() {
			continue
		}
		if r.LinkIndex != link || r.Gateway != gw {
			return false
		}
		found = true
	}
	return found
}

// parseAddr combines an address and a netmask given as "255.255.255.0"
// or as a prefix length.
func parseAddr(ip, mask string) (netip.Prefix, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("ip %q is not an IP address", clip(ip))
	}
	mask = strings.TrimSpace(mask)
	if mask == "" {
		return netip.Prefix{}, fmt.Errorf("ip %s has no netmask", a)
	}
	bits := -1
	if n, err := strconv.Atoi(mask); err == nil {
		bits = n
	} else if m, err := netip.ParseAddr(mask); err == nil && m.Is4() && a.Is4() {
		b := m.As4()
		ones, size := net.IPMask(b[:]).Size()
		if size == 0 {
			return netip.Prefix{}, fmt.Errorf("netmask %s is not contiguous", m)
		}
		bits = ones
	} else {
		return netip.Prefix{}, fmt.Errorf("netmask %q is neither a mask nor a prefix length", clip(mask))
	}
	if bits < 1 || bits > a.BitLen() {
		return netip.Prefix{}, fmt.Errorf("netmask %q out of range", mask)
	}
	return netip.PrefixFrom(a, bits), nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// ErrNoSystem is returned by Apply without a System.
var ErrNoSystem = errors.New("netconf: no system")
