package netconf

import (
	"net/netip"
	"testing"

	"github.com/luoyun/osmanager/pkg/lyconf"
)

// FuzzPlan: any NIC setting is planned without a panic, and an address
// that is planned is a valid prefix.
func FuzzPlan(f *testing.F) {
	f.Add("10.0.2.15", "255.255.255.0", "10.0.2.2", "52:54:00:12:34:56")
	f.Fuzz(func(t *testing.T, ip, mask, gw, mac string) {
		links := []Link{{Index: 1, Name: "lo", Loopback: true}, {Index: 2, Name: "ens3", MAC: mustMAC("52:54:00:12:34:56"),
			Addrs: []netip.Prefix{netip.MustParsePrefix("192.168.1.77/24"), netip.MustParsePrefix("fe80::1/64")}}}
		for _, p := range Plan([]lyconf.NIC{{IP: ip, Netmask: mask, Gateway: gw, MAC: mac}}, Snapshot{Links: links}) {
			for _, a := range p.Actions {
				if (a.Kind == AddAddr || a.Kind == DelAddr) && !a.Addr.IsValid() {
					t.Fatalf("planned invalid address for %q/%q", ip, mask)
				}
			}
		}
	})
}

func mustMAC(s string) []byte { return mac(s) }
