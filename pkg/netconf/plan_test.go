package netconf

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/luoyun/osmanager/pkg/lyconf"
)

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

const (
	mac0 = "52:54:00:12:34:56"
	mac1 = "52:54:00:12:34:57"
)

func TestPlanMatching(t *testing.T) {
	lo := Link{Index: 1, Name: "lo", Loopback: true, Up: true}
	nics := []lyconf.NIC{
		{IP: "10.0.2.15", MAC: mac0, Netmask: "255.255.255.0", Gateway: "10.0.2.2"},
		{IP: "192.168.7.5", MAC: mac1, Netmask: "24", Gateway: "192.168.7.1"},
	}
	for _, tc := range []struct {
		name  string
		links []Link
		want  []string // matched link names
		by    []string
	}{
		{"by mac, ens names", []Link{lo, {Index: 2, Name: "ens3", MAC: mac(mac0)}, {Index: 3, Name: "ens4", MAC: mac(mac1)}}, []string{"ens3", "ens4"}, []string{"mac", "mac"}},
		{"mac beats eth0 name", []Link{lo, {Index: 2, Name: "eth0", MAC: mac("02:00:00:00:00:01")}, {Index: 3, Name: "ens3", MAC: mac(mac0)}, {Index: 4, Name: "eth1"}}, []string{"ens3", "eth1"}, []string{"mac", "name"}},
		{"MAC case ignored", []Link{lo, {Index: 5, Name: "x", MAC: mac(strings.ToUpper(mac1))}, {Index: 6, Name: "y", MAC: mac(mac0)}}, []string{"y", "x"}, []string{"mac", "mac"}},
		{"eth names", []Link{lo, {Index: 2, Name: "eth1"}, {Index: 3, Name: "eth0"}}, []string{"eth0", "eth1"}, []string{"name", "name"}},
		{"position", []Link{lo, {Index: 7, Name: "enp0s3"}, {Index: 8, Name: "enp0s4"}}, []string{"enp0s3", "enp0s4"}, []string{"position", "position"}},
		{"one interface", []Link{lo, {Index: 7, Name: "enp0s3"}}, []string{"enp0s3", ""}, []string{"position", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plans := Plan(nics, Snapshot{Links: tc.links})
			var got, by []string
			for _, p := range plans {
				name := ""
				if p.Link != nil {
					name = p.Link.Name
				}
				got, by = append(got, name), append(by, p.MatchBy)
			}
			if !cmp.Equal(got, tc.want) || !cmp.Equal(by, tc.by) {
				t.Errorf("matched %q by %q, want %q by %q", got, by, tc.want, tc.by)
			}
			if plans[1].Link == nil && plans[1].Err == nil {
				t.Errorf("unmatched NIC 1 has no error")
			}
		})
	}
}

func TestPlanActions(t *testing.T) {
	ens3 := Link{Index: 2, Name: "ens3", MAC: mac(mac0)}
	addr := netip.MustParsePrefix("10.0.2.15/24")
	gw := netip.MustParseAddr("10.0.2.2")
	upWithAddr := ens3
	upWithAddr.Up, upWithAddr.Addrs = true, []netip.Prefix{addr}
	nic := lyconf.NIC{IP: "10.0.2.15", MAC: mac0, Netmask: "255.255.255.0", Gateway: "10.0.2.2"}
	for _, tc := range []struct {
		name     string
		nic      lyconf.NIC
		link     Link
		defaults []Route
		want     []string
		skip     string
		err      string
	}{
		{"fresh", nic, ens3, nil, []string{"add 10.0.2.15/24 to ens3", "bring ens3 up", "default route via 10.0.2.2 dev ens3"}, "", ""},
		{"done", nic, upWithAddr, []Route{{2, gw}}, nil, "", ""},
		{"other default", nic, upWithAddr, []Route{{9, netip.MustParseAddr("10.9.0.1")}}, []string{"default route via 10.0.2.2 dev ens3"}, "", ""},
		{"extra default", nic, upWithAddr, []Route{{2, gw}, {9, netip.MustParseAddr("10.9.0.1")}}, []string{"default route via 10.0.2.2 dev ens3"}, "", ""},
		{"dhcp lease beside", nic, withAddrs(upWithAddr, "192.168.1.77/24", "fe80::5054:ff:fe12:3456/64", "2001:db8::5/64"),
			[]Route{{2, netip.MustParseAddr("192.168.1.1")}},
			[]string{"remove 192.168.1.77/24 from ens3", "add 10.0.2.15/24 to ens3", "default route via 10.0.2.2 dev ens3"}, "", ""},
		{"lease only", nic, withAddrs(ens3, "192.168.1.77/24"), nil,
			[]string{"remove 192.168.1.77/24 from ens3", "add 10.0.2.15/24 to ens3", "bring ens3 up", "default route via 10.0.2.2 dev ens3"}, "", ""},
		{"same address, other prefix", nic, withAddrs(ens3, "10.0.2.15/16"), []Route{{2, gw}},
			[]string{"remove 10.0.2.15/16 from ens3", "add 10.0.2.15/24 to ens3", "bring ens3 up"}, "", ""},
		{"v6 setting: v6 global removed, link-local kept", lyconf.NIC{IP: "2001:db8::9", Netmask: "64", MAC: mac0},
			withAddrs(ens3, "fe80::1/64", "2001:db8::5/64", "192.168.1.77/24"), nil,
			[]string{"remove 2001:db8::5/64 from ens3", "remove 192.168.1.77/24 from ens3", "add 2001:db8::9/64 to ens3", "bring ens3 up"}, "", ""},
		{"v6 default ignored", nic, upWithAddr, []Route{{2, gw}, {2, netip.MustParseAddr("fe80::1")}}, nil, "", ""},
		{"no gateway", lyconf.NIC{IP: "10.0.2.15", Netmask: "24", MAC: mac0}, upWithAddr, nil, nil, "", ""},
		{"no ip", lyconf.NIC{MAC: mac0, Type: "default"}, ens3, nil, nil, "left to the distribution", ""},
		{"no netmask", lyconf.NIC{IP: "10.0.2.15", MAC: mac0}, ens3, nil, nil, "", "no netmask"},
		{"bad mask", lyconf.NIC{IP: "10.0.2.15", Netmask: "255.0.255.0", MAC: mac0}, ens3, nil, nil, "", "not contiguous"},
		{"bad ip", lyconf.NIC{IP: "10.0.2.15\nup", Netmask: "24", MAC: mac0}, ens3, nil, nil, "", "not an IP address"},
		{"bad gateway", lyconf.NIC{IP: "10.0.2.15", Netmask: "24", Gateway: "gw", MAC: mac0}, ens3, nil, nil, "", "gateway"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Plan([]lyconf.NIC{tc.nic}, Snapshot{Links: []Link{tc.link}, Defaults: tc.defaults})[0]
			var got []string
			for _, a := range p.Actions {
				got = append(got, a.String())
			}
			if !cmp.Equal(got, tc.want) {
				t.Errorf("actions = %q, want %q", got, tc.want)
			}
			if !strings.Contains(p.Skip, tc.skip) || (tc.skip == "") != (p.Skip == "") {
				t.Errorf("skip = %q, want %q", p.Skip, tc.skip)
			}
			if (p.Err == nil) != (tc.err == "") || p.Err != nil && !strings.Contains(p.Err.Error(), tc.err) {
				t.Errorf("err = %v, want %q", p.Err, tc.err)
			}
		})
	}
}

func withAddrs(l Link, addrs ...string) Link {
	l.Addrs = append([]netip.Prefix(nil), l.Addrs...)
	for _, a := range addrs {
		l.Addrs = append(l.Addrs, netip.MustParsePrefix(a))
	}
	return l
}

// TestPlanClients: a DHCP client that serves only interfaces osc
// configures is stopped first; one that also serves another interface,
// or every interface, is left running and noted.
func TestPlanClients(t *testing.T) {
	links := []Link{{Index: 1, Name: "lo", Loopback: true}, {Index: 2, Name: "eth0", Up: true}, {Index: 3, Name: "eth1", Up: true}}
	nics := []lyconf.NIC{{IP: "10.0.2.15", Netmask: "24", Gateway: "10.0.2.2"}}
	for _, tc := range []struct {
		name    string
		clients []Client
		first   string
		notes   string
	}{
		{"own client", []Client{{PID: 10, Name: "dhclient", Links: []int{2}}, {PID: 11, Name: "udhcpc", Links: []int{3}}}, "stop dhclient (pid 10)", ""},
		{"shared client", []Client{{PID: 12, Name: "dhcpcd", Links: []int{2, 3}}}, "add 10.0.2.15/24 to eth0", "dhcpcd (pid 12) also serves interfaces osc does not configure: left running"},
		{"every interface", []Client{{PID: 13, Name: "dhcpcd"}}, "add 10.0.2.15/24 to eth0", "dhcpcd (pid 13) serves every interface: left running"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Plan(nics, Snapshot{Links: links, Clients: tc.clients})[0]
			if len(p.Actions) == 0 || p.Actions[0].String() != tc.first || strings.Join(p.Notes, "; ") != tc.notes {
				t.Errorf("actions %v notes %q; want first %q, notes %q", p.Actions, p.Notes, tc.first, tc.notes)
			}
			for _, a := range p.Actions[1:] {
				if a.Kind == StopClient {
					t.Errorf("also %v", a)
				}
			}
		})
	}
}

func TestPlanSecondNICNeedsGateway(t *testing.T) {
	links := []Link{{Index: 2, Name: "eth0"}, {Index: 3, Name: "eth1"}}
	p := Plan([]lyconf.NIC{{IP: "10.0.0.2", Netmask: "24"}, {IP: "10.1.0.2", Netmask: "24"}}, Snapshot{Links: links})
	if p[1].Skip == "" || len(p[1].Actions) != 0 {
		t.Errorf("NIC 1 without gateway: %+v, want skipped", p[1])
	}
	p = Plan([]lyconf.NIC{{IP: "10.0.0.2", Netmask: "24"}, {IP: "10.1.0.2", Netmask: "24", Gateway: "10.1.0.1"}}, Snapshot{Links: links})
	if len(p[1].Actions) != 2 || p[1].Actions[0].Kind != AddAddr || p[1].Actions[1].Kind != LinkUp {
		t.Errorf("NIC 1 with gateway: actions %v, want address and up, no route", p[1].Actions)
	}
}
