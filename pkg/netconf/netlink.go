package netconf

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Netlink is the System of a network namespace, through a netlink handle.
type Netlink struct {
	H *netlink.Handle
	// NetNS is the namespace's nsfs inode: the DHCP clients listed and
	// stopped are those of this namespace only. Zero lists none.
	NetNS uint64
	// Proc is where /proc is mounted ("" for /proc).
	Proc string
}

// NewNetlink returns the System of the current network namespace, whose
// DHCP clients it lists from /proc. It
// opens only a NETLINK_ROUTE socket: with no families, netlink.NewHandle
// also opens XFRM and NETFILTER sockets, which fail with "protocol not
// supported" on a minimal kernel where those modules are not loaded.
func NewNetlink() (*Netlink, error) {
	// Without /proc (a minimal initramfs) no DHCP client can be found
	// either: NetNS stays 0 and none is listed.
	ns, err := netnsInode("/proc/thread-self/ns/net")
	if err != nil {
		ns, _ = netnsInode("/proc/self/ns/net")
	}
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	return &Netlink{H: h, NetNS: ns}, nil
}

func (n *Netlink) proc() string {
	if n.Proc == "" {
		return "/proc"
	}
	return n.Proc
}

// Close releases the handle.
func (n *Netlink) Close() { n.H.Close() }

// Snapshot lists links, their addresses and the default routes.
func (n *Netlink) Snapshot() (Snapshot, error) {
	var s Snapshot
	links, err := n.H.LinkList()
	if err != nil {
		return s, fmt.Errorf("list links: %w", err)
	}
	for _, l := range links {
		a := l.Attrs()
		lk := Link{
			Index:    a.Index,
			Name:     a.Name,
			MAC:      a.HardwareAddr,
			Loopback: a.Flags&net.FlagLoopback != 0,
			Up:       a.Flags&net.FlagUp != 0,
		}
		addrs, err := n.H.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			return s, fmt.Errorf("list addresses of %s: %w", a.Name, err)
		}
		for _, ad := range addrs {
			if ad.IPNet == nil {
				continue
			}
			ip, ok := netip.AddrFromSlice(ad.IP)
			if !ok {
				continue
			}
			ones, _ := ad.Mask.Size()
			lk.Addrs = append(lk.Addrs, netip.PrefixFrom(ip.Unmap(), ones))
		}
		s.Links = append(s.Links, lk)
	}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := n.defaults(fam)
		if err != nil {
			return s, err
		}
		for _, r := range routes {
			gw, _ := netip.AddrFromSlice(r.Gw)
			s.Defaults = append(s.Defaults, Route{LinkIndex: r.LinkIndex, Gateway: gw.Unmap()})
		}
	}
	if n.NetNS != 0 {
		if s.Clients, err = procClients(n.proc(), n.NetNS, s.Links); err != nil {
			return s, err
		}
	}
	return s, nil
}

// DelAddr removes addr from the link; one already gone (a DHCP client
// that deconfigured on exit) is not an error.
func (n *Netlink) DelAddr(l Link, addr netip.Prefix) error {
	lk, err := n.link(l)
	if err != nil {
		return err
	}
	err = n.H.AddrDel(lk, nlAddr(addr))
	if errors.Is(err, unix.EADDRNOTAVAIL) || errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}

// ClientGrace is how long a DHCP client gets to exit after SIGTERM (and
// again after SIGKILL).
const ClientGrace = 5 * time.Second

// StopClient stops a DHCP client of this namespace and waits for it to
// exit. The process is checked again first: the pid must still be that
// client, in this namespace.
func (n *Netlink) StopClient(c Client) error {
	now, err := procClients(n.proc(), n.NetNS, nil)
	if err != nil {
		return err
	}
	for _, p := range now {
		if p.PID == c.PID && p.Name == c.Name {
			return stopProcess(n.proc(), c.PID, ClientGrace)
		}
	}
	return nil // exited meanwhile
}

func (n *Netlink) defaults(family int) ([]netlink.Route, error) {
	routes, err := n.H.RouteListFiltered(family, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	var out []netlink.Route
	for _, r := range routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() && isZero(r.Dst.Mask) {
			out = append(out, r)
		}
	}
	return out, nil
}

func isZero(m net.IPMask) bool {
	ones, _ := m.Size()
	return ones == 0
}

func (n *Netlink) link(l Link) (netlink.Link, error) {
	lk, err := n.H.LinkByIndex(l.Index)
	if err != nil {
		return nil, fmt.Errorf("link %s: %w", l.Name, err)
	}
	return lk, nil
}

// AddAddr adds addr to the link.
func (n *Netlink) AddAddr(l Link, addr netip.Prefix) error {
	lk, err := n.link(l)
	if err != nil {
		return err
	}
	return n.H.AddrReplace(lk, nlAddr(addr))
}

func nlAddr(p netip.Prefix) *netlink.Addr {
	ip := net.IP(p.Addr().AsSlice())
	return &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}}
}

// SetUp brings the link up.
func (n *Netlink) SetUp(l Link) error {
	lk, err := n.link(l)
	if err != nil {
		return err
	}
	return n.H.LinkSetUp(lk)
}

// SetDefault replaces the default routes of gw's family by one via gw.
func (n *Netlink) SetDefault(l Link, gw netip.Addr) error {
	fam := netlink.FAMILY_V4
	if !gw.Is4() {
		fam = netlink.FAMILY_V6
	}
	old, err := n.defaults(fam)
	if err != nil {
		return err
	}
	gwIP := net.IP(gw.AsSlice())
	var errs []error
	for _, r := range old {
		if r.LinkIndex == l.Index && r.Gw.Equal(gwIP) {
			continue
		}
		if err := n.H.RouteDel(&r); err != nil {
			errs = append(errs, fmt.Errorf("delete old default route: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	r := &netlink.Route{LinkIndex: l.Index, Gw: gwIP, Table: unix.RT_TABLE_MAIN, Scope: netlink.SCOPE_UNIVERSE}
	if err := n.H.RouteReplace(r); err != nil {
		return fmt.Errorf("add default route: %w", err)
	}
	return nil
}
