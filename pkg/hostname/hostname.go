// Package hostname decides the name an instance is reached by, for the
// page and the terminal's title: the JSON domain.name, else the first
// non-loopback IPv4 address of the system, else the kernel's host name.
package hostname

import (
	"net"
	"os"
	"strings"

	"github.com/luoyun/osmanager/pkg/lyconf"
)

// Addrs lists the system's interface addresses; net.InterfaceAddrs in
// production, a fixed list in tests.
type Addrs func() ([]net.Addr, error)

// Name returns the instance's public name.
func Name(in *lyconf.Instance, addrs Addrs) string {
	if in != nil && in.Domain != nil {
		if n := strings.TrimSpace(in.Domain.Name); n != "" {
			return n
		}
	}
	if addrs == nil {
		addrs = net.InterfaceAddrs
	}
	if ip := FirstIPv4(addrs); ip != "" {
		return ip
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

// FirstIPv4 returns the first non-loopback IPv4 address, or "".
func FirstIPv4(addrs Addrs) string {
	list, err := addrs()
	if err != nil {
		return ""
	}
	for _, a := range list {
		var ip net.IP
		switch v := a.(type) {
		case *net.IPNet:
			ip = v.IP
		case *net.IPAddr:
			ip = v.IP
		}
		if ip4 := ip.To4(); ip4 != nil && !ip4.IsLoopback() && !ip4.IsLinkLocalUnicast() {
			return ip4.String()
		}
	}
	return ""
}
