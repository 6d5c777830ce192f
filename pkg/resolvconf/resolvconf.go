// Package resolvconf renders /etc/resolv.conf from a list of name
// servers, each of which must be an IP address, so a setting cannot add
// resolver options or other lines.
package resolvconf

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Path is resolv.conf relative to the root prefix.
const Path = "etc/resolv.conf"

// Render returns "nameserver X\n" for each entry, in order. Every entry
// must be an IPv4 or IPv6 address (no zone, no port).
func Render(servers []string) ([]byte, error) {
	if len(servers) == 0 {
		return nil, errors.New("no name servers")
	}
	var b strings.Builder
	for i, s := range servers {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("entry %d %q is not an IP address", i+1, clip(s))
		}
		fmt.Fprintf(&b, "nameserver %s\n", a)
	}
	return []byte(b.String()), nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
