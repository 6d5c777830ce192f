// Package netconf configures the instance's network interfaces from the
// cloud's per-NIC settings through netlink: each setting is matched to an
// interface by MAC address (falling back to eth0/eth1, then to the
// first/second non-loopback interface), gets its address and netmask and
// is brought up; NIC 0's gateway becomes the default route.
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

// Snapshot is the state Plan works from.
type Snapshot struct {
	Links    []Link
	Defaults []Route // default routes of the main table
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
)

// Action is one change to make.
type Action struct {
	Kind    ActionKind
	Link    Link
	Addr    netip.Prefix
	Gateway netip.Addr
}

func (a Action) String() string {
	switch a.Kind {
	case AddAddr:
		return fmt.Sprintf("add %s to %s", a.Addr, a.Link.Name)
	case LinkUp:
		return fmt.Sprintf("bring %s up", a.Link.Name)
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
	return plans
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
		if a == addr {
			has = true
		}
	}
	if !has {
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
