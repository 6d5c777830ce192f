package netconf

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/luoyun/osmanager/pkg/lyconf"
)

// newNetns makes a fresh network namespace with `ip netns add` and
// returns a netlink System bound to it. It skips when not root.
func newNetns(t *testing.T) *Netlink {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespace tests need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skipf("ip (iproute2) not installed: %v", err)
	}
	name := fmt.Sprintf("floppy-%d-%s", os.Getpid(), t.Name())
	if len(name) > 40 {
		name = name[:40]
	}
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	ns, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return &Netlink{H: h}
}

// addLink adds a dummy link with the given MAC or, where the kernel has
// no dummy driver, a veth whose peer ("p" + name) is up so the link gets
// a carrier.
func addLink(t *testing.T, n *Netlink, name, hw string) {
	t.Helper()
	d := &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: name, HardwareAddr: mac(hw)}}
	if err := n.H.LinkAdd(d); err == nil {
		return
	}
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name, HardwareAddr: mac(hw)}, PeerName: "p" + name}
	if err := n.H.LinkAdd(v); err != nil {
		t.Fatalf("add dummy or veth %s: %v", name, err)
	}
	peer, err := n.H.LinkByName("p" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.H.LinkSetUp(peer); err != nil {
		t.Fatal(err)
	}
}

func apply(t *testing.T, sys System, nics []lyconf.NIC) []NICPlan {
	t.Helper()
	snap, err := sys.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	plans := Plan(nics, snap)
	for _, p := range plans {
		if p.Err != nil {
			t.Fatalf("nic %d: %v", p.Index, p.Err)
		}
		if err := Apply(sys, p.Actions); err != nil {
			t.Fatalf("nic %d: %v", p.Index, err)
		}
	}
	return plans
}

// TestNetnsApply: in a fresh namespace with links named ens3 and ens4
// (and a decoy eth0 that already has a different default route), the
// settings land on the links with the JSON's MACs and the default route
// goes via NIC 0's gateway; a second run changes nothing.
func TestNetnsApply(t *testing.T) {
	n := newNetns(t)
	addLink(t, n, "eth0", "02:00:00:00:00:99")
	addLink(t, n, "ens3", mac0)
	addLink(t, n, "ens4", mac1)
	// The decoy: up, with an address and the current default route.
	decoy, _ := n.H.LinkByName("eth0")
	n.H.AddrAdd(decoy, &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP("10.9.0.5"), Mask: net.CIDRMask(24, 32)}})
	n.H.LinkSetUp(decoy)
	if err := n.H.RouteAdd(&netlink.Route{LinkIndex: decoy.Attrs().Index, Gw: net.ParseIP("10.9.0.1")}); err != nil {
		t.Fatalf("decoy default route: %v", err)
	}

	nics := []lyconf.NIC{
		{IP: "10.0.2.15", MAC: mac0, Type: "default", Netmask: "255.255.255.0", Gateway: "10.0.2.2"},
		{IP: "192.168.7.5", MAC: mac1, Type: "default", Netmask: "255.255.255.0", Gateway: "192.168.7.1"},
	}
	plans := apply(t, n, nics)
	if plans[0].Link.Name != "ens3" || plans[1].Link.Name != "ens4" || plans[0].MatchBy != "mac" {
		t.Fatalf("matched %s and %s by %s, want ens3 and ens4 by mac", plans[0].Link.Name, plans[1].Link.Name, plans[0].MatchBy)
	}
	snap, err := n.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ens3": "10.0.2.15/24", "ens4": "192.168.7.5/24"}
	for _, l := range snap.Links {
		w, ok := want[l.Name]
		if !ok {
			continue
		}
		if !l.Up || !hasAddr(l, netip.MustParsePrefix(w)) {
			t.Errorf("%s: up=%v addrs=%v, want up with %s", l.Name, l.Up, l.Addrs, w)
		}
		if l.Name == "ens3" {
			if len(snap.Defaults) != 1 || snap.Defaults[0].LinkIndex != l.Index || snap.Defaults[0].Gateway != netip.MustParseAddr("10.0.2.2") {
				t.Errorf("default routes = %+v, want only via 10.0.2.2 dev ens3 (index %d)", snap.Defaults, l.Index)
			}
		}
	}
	// Second run: nothing to do.
	for _, p := range Plan(nics, snap) {
		if len(p.Actions) != 0 || p.Err != nil {
			t.Errorf("second run, nic %d: %v %v, want nothing to do", p.Index, p.Actions, p.Err)
		}
	}
}

func hasAddr(l Link, p netip.Prefix) bool {
	for _, a := range l.Addrs {
		if a == p {
			return true
		}
	}
	return false
}
