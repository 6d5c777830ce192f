package webssh

import (
	"net"
	"net/netip"
	"strings"
)

// HostAllowed reports whether host, a request's Host header, names this
// instance: an IP literal (IPv4, or IPv6 in brackets, with or without a
// port), "localhost", or one of names. An entry of names is a host name
// ("vm1.cloud.example", any port), a host:port, or "*.suffix" for every
// name under suffix. Names compare case-insensitively, a trailing dot
// ignored. An empty host is allowed: browsers always send one, and the
// check exists against DNS rebinding, where a browser visits a hostile
// name that resolves to the instance.
func HostAllowed(host string, names []string) bool {
	if host == "" {
		return true
	}
	name, port := splitHost(host)
	if name == "" {
		return false
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return true
	}
	if strings.HasPrefix(host, "[") || !validName(name) { // brackets hold IPv6 addresses only
		return false
	}
	if name == "localhost" {
		return true
	}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" {
			continue
		}
		nname, nport := splitHost(n)
		if nport != "" && nport != port {
			continue
		}
		if suffix, ok := strings.CutPrefix(nname, "*."); ok {
			if strings.HasSuffix(name, "."+suffix) {
				return true
			}
			continue
		}
		if nname == name {
			return true
		}
	}
	return false
}

// splitHost splits "name[:port]" or "[v6][:port]" into the lower-case
// name (brackets and a trailing dot removed) and the port ("" when none);
// the name is "" when the port is not a number.
func splitHost(host string) (name, port string) {
	if h, p, err := net.SplitHostPort(host); err == nil {
		if p == "" || len(p) > 5 || strings.Trim(p, "0123456789") != "" {
			return "", "" // not a port: refused
		}
		name, port = h, p
	} else {
		name = host
		if strings.HasPrefix(name, "[") && strings.HasSuffix(name, "]") {
			name = name[1 : len(name)-1]
		}
	}
	return strings.TrimSuffix(strings.ToLower(name), "."), port
}

// validName reports whether s is a plausible DNS name: letters, digits,
// '-', '_' and dots, no empty label. Anything else in a Host header is
// refused before it is compared.
func validName(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
