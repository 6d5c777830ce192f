package netconf

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/pkg/lyconf"
)

// newNetns makes a fresh network namespace with `ip netns add` and
// returns a netlink System bound to it. It skips when not root.
func newNetns(t *testing.T) *Netlink {
	t.Helper()
	n, _ := newNetnsNamed(t)
	return n
}

var nsCount atomic.Int64

// newNetnsNamed is newNetns that also returns the namespace's name; the
// System lists the DHCP clients of that namespace.
func newNetnsNamed(t *testing.T) (*Netlink, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespace tests need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skipf("ip (iproute2) not installed: %v", err)
	}
	name := strings.NewReplacer("/", "-", " ", "-", ",", "").Replace(fmt.Sprintf("osc-%d-%d-%s", os.Getpid(), nsCount.Add(1), t.Name()))
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
	ino, err := netnsInode("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return &Netlink{H: h, NetNS: ino}, name
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

// startUdhcpc runs busybox's udhcpc on link inside the namespace and
// returns its process; it is killed at the end of the test.
func startUdhcpc(t *testing.T, ns, link string) *os.Process {
	t.Helper()
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Skipf("busybox not installed (it provides the DHCP client udhcpc): %v", err)
	}
	dir := t.TempDir()
	if err := os.Symlink(bb, filepath.Join(dir, "udhcpc")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, filepath.Join(dir, "udhcpc"), "-f", "-q", "-t", "1000", "-T", "1", "-s", "/bin/true", "-i", link)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	// ip netns exec becomes udhcpc (exec): wait until the pid says so.
	var b []byte
	if !poll.Wait(poll.Timeout, func() bool {
		b, _ = os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid))
		return strings.HasPrefix(filepath.Base(strings.Split(string(b), "\x00")[0]), "udhcpc")
	}) {
		t.Fatalf("udhcpc did not start: cmdline %q", b)
	}
	return cmd.Process
}

func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z'
}

// TestNetnsReplacesLease: the NIC came up by DHCP (a lease address, its
// default route, a udhcpc serving it), the cloud says 10.0.2.15/24 via
// 10.0.2.2. Afterwards the NIC has exactly that IPv4 address (its IPv6
// link-local addresses kept), the only default route is the cloud's,
// the NIC's DHCP client is stopped; another NIC, its address and its
// client are left alone. With the cloud's address already there as a
// secondary of the lease's subnet, removing the lease does not lose it.
func TestNetnsReplacesLease(t *testing.T) {
	for _, tc := range []struct{ name, lease string }{
		{"other subnet", "192.168.1.77/24"},
		{"same subnet, cloud address secondary", "10.0.2.99/24"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, ns := newNetnsNamed(t)
			addLink(t, n, "ens3", mac0)
			addLink(t, n, "eth1", "02:00:00:00:00:98")
			ens3, _ := n.H.LinkByName("ens3")
			eth1, _ := n.H.LinkByName("eth1")
			n.H.LinkSetUp(ens3)
			n.H.LinkSetUp(eth1)
			lease := netip.MustParsePrefix(tc.lease)
			for _, a := range []struct {
				l netlink.Link
				p netip.Prefix
			}{{ens3, lease}, {eth1, netip.MustParsePrefix("172.16.0.9/24")}} {
				if err := n.AddAddr(Link{Index: a.l.Attrs().Index, Name: a.l.Attrs().Name}, a.p); err != nil {
					t.Fatal(err)
				}
			}
			if lease.Addr().String() == "10.0.2.99" {
				n.AddAddr(Link{Index: ens3.Attrs().Index}, netip.MustParsePrefix("10.0.2.15/24"))
			}
			gw := lease.Masked().Addr().Next()
			if err := n.H.RouteAdd(&netlink.Route{LinkIndex: ens3.Attrs().Index, Gw: net.IP(gw.AsSlice())}); err != nil {
				t.Fatalf("lease's default route: %v", err)
			}
			mine := startUdhcpc(t, ns, "ens3")
			other := startUdhcpc(t, ns, "eth1")
			// A namespace next door with its own ens3 and udhcpc: never touched.
			n2, ns2 := newNetnsNamed(t)
			addLink(t, n2, "ens3", mac0)
			if l, err := n2.H.LinkByName("ens3"); err == nil {
				n2.H.LinkSetUp(l)
			}
			next := startUdhcpc(t, ns2, "ens3")
			before, err := n.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			// udhcpc forks to run its script: a child may be listed too.
			seen := map[int]bool{}
			for _, c := range before.Clients {
				seen[c.PID] = true
			}
			if !seen[mine.Pid] || !seen[other.Pid] || seen[next.Pid] {
				t.Fatalf("clients seen: %+v, want pids %d and %d (this namespace), not %d (the next one)", before.Clients, mine.Pid, other.Pid, next.Pid)
			}
			linkLocal := func(s Snapshot) []netip.Prefix {
				var out []netip.Prefix
				for _, l := range s.Links {
					if l.Name == "ens3" {
						for _, a := range l.Addrs {
							if a.Addr().IsLinkLocalUnicast() {
								out = append(out, a)
							}
						}
					}
				}
				return out
			}

			nics := []lyconf.NIC{{IP: "10.0.2.15", MAC: mac0, Netmask: "255.255.255.0", Gateway: "10.0.2.2"}}
			apply(t, n, nics)
			after, err := n.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range after.Links {
				var v4 []string
				for _, a := range l.Addrs {
					if a.Addr().Is4() {
						v4 = append(v4, a.String())
					}
				}
				want := map[string]string{"ens3": "10.0.2.15/24", "eth1": "172.16.0.9/24"}[l.Name]
				if want != "" && strings.Join(v4, " ") != want {
					t.Errorf("%s has %v, want exactly %s", l.Name, v4, want)
				}
				if l.Name == "ens3" && (len(after.Defaults) != 1 || after.Defaults[0].LinkIndex != l.Index || after.Defaults[0].Gateway != netip.MustParseAddr("10.0.2.2")) {
					t.Errorf("default routes %+v, want only via 10.0.2.2 dev ens3", after.Defaults)
				}
			}
			if got, was := linkLocal(after), linkLocal(before); fmt.Sprint(got) != fmt.Sprint(was) {
				t.Errorf("ens3's link-local addresses %v, were %v", got, was)
			}
			if running(mine.Pid) {
				t.Errorf("ens3's udhcpc (pid %d) still running", mine.Pid)
			}
			if !running(other.Pid) {
				t.Errorf("eth1's udhcpc (pid %d) was stopped", other.Pid)
			}
			if !running(next.Pid) {
				t.Errorf("the other namespace's udhcpc (pid %d) was stopped", next.Pid)
			}
			for _, p := range Plan(nics, after) {
				if len(p.Actions) != 0 {
					t.Errorf("second run: %v, want nothing to do", p.Actions)
				}
			}
		})
	}
}
