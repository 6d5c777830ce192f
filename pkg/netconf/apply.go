package netconf

import (
	"fmt"
	"net/netip"
)

// System reads and changes the kernel's interfaces; Netlink is the real
// one.
type System interface {
	// Snapshot returns the interfaces and the main table's default routes.
	Snapshot() (Snapshot, error)
	// AddAddr adds addr to the link.
	AddAddr(l Link, addr netip.Prefix) error
	// SetUp brings the link up.
	SetUp(l Link) error
	// SetDefault makes the route via gw on l the only default route of
	// gw's family in the main table.
	SetDefault(l Link, gw netip.Addr) error
	// DelAddr removes addr from the link; an address already gone is
	// not an error.
	DelAddr(l Link, addr netip.Prefix) error
	// StopClient stops a DHCP client and returns once it has exited.
	StopClient(c Client) error
}

// Apply carries out one NIC's actions, stopping at the first error.
func Apply(sys System, acts []Action) error {
	if sys == nil {
		return ErrNoSystem
	}
	for _, a := range acts {
		var err error
		switch a.Kind {
		case AddAddr:
			err = sys.AddAddr(a.Link, a.Addr)
		case LinkUp:
			err = sys.SetUp(a.Link)
		case SetDefault:
			err = sys.SetDefault(a.Link, a.Gateway)
		case DelAddr:
			err = sys.DelAddr(a.Link, a.Addr)
		case StopClient:
			err = sys.StopClient(a.Client)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
	}
	return nil
}

// Unavailable is a System that cannot be reached: every call returns Err.
// A caller that could not open netlink uses it so that only the network
// steps fail.
type Unavailable struct{ Err error }

// Snapshot returns u.Err.
func (u Unavailable) Snapshot() (Snapshot, error) { return Snapshot{}, u.Err }

// AddAddr returns u.Err.
func (u Unavailable) AddAddr(Link, netip.Prefix) error { return u.Err }

// SetUp returns u.Err.
func (u Unavailable) SetUp(Link) error { return u.Err }

// SetDefault returns u.Err.
func (u Unavailable) SetDefault(Link, netip.Addr) error { return u.Err }

// DelAddr returns u.Err.
func (u Unavailable) DelAddr(Link, netip.Prefix) error { return u.Err }

// StopClient returns u.Err.
func (u Unavailable) StopClient(Client) error { return u.Err }
