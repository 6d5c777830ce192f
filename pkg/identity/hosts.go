package identity

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// HostsAddr is the address Debian's installer gives the machine's own
// name in /etc/hosts, so that it resolves without DNS.
const HostsAddr = "127.0.1.1"

// ParseHostName checks a domain name as RFC 1123 writes host names and
// returns the fully qualified name (one trailing dot dropped) and its
// first label. It refuses an empty name, an IP address, a name over 253
// characters, and labels that are empty, longer than 63 characters, hold
// anything but letters, digits and '-', or begin or end with '-'.
func ParseHostName(name string) (fqdn, label string, err error) {
	n := strings.TrimSuffix(name, ".")
	switch {
	case n == "":
		return "", "", errors.New("empty")
	case len(n) > 253:
		return "", "", errors.New("longer than 253 characters")
	}
	if _, err := netip.ParseAddr(n); err == nil {
		return "", "", errors.New("an IP address, not a name")
	}
	for i, l := range strings.Split(n, ".") {
		if err := checkLabel(l); err != nil {
			return "", "", fmt.Errorf("label %d: %w", i+1, err)
		}
	}
	label, _, _ = strings.Cut(n, ".")
	return n, label, nil
}

func checkLabel(l string) error {
	switch {
	case l == "":
		return errors.New("empty")
	case len(l) > 63:
		return errors.New("longer than 63 characters")
	case l[0] == '-' || l[len(l)-1] == '-':
		return errors.New("begins or ends with '-'")
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return errors.New("holds a character other than a letter, a digit or '-'")
		}
	}
	return nil
}

// HostsLine is the line SetHostsLine puts in /etc/hosts for a name.
func HostsLine(fqdn, label string) string {
	if fqdn == label {
		return HostsAddr + "\t" + fqdn
	}
	return HostsAddr + "\t" + fqdn + " " + label
}

// SetHostsLine returns /etc/hosts content with line as the machine's own
// entry: the first line whose address is 127.0.1.1 is replaced by it
// (its line ending kept), or, with none, line is appended (after a
// newline where the content lacks its last one). Every other byte stays
// as it was, comments and other 127.0.1.1 lines included.
func SetHostsLine(content []byte, line string) []byte {
	start := 0
	for start < len(content) {
		end := bytes.IndexByte(content[start:], '\n')
		next := len(content)
		if end >= 0 {
			end += start
			next = end + 1
		} else {
			end = len(content)
		}
		if hostsAddr(content[start:end]) == HostsAddr {
			eol := content[end:next]
			if bytes.HasSuffix(content[start:end], []byte("\r")) {
				eol = append([]byte("\r"), eol...)
			}
			out := make([]byte, 0, len(content)+len(line))
			out = append(out, content[:start]...)
			out = append(out, line...)
			out = append(out, eol...)
			return append(out, content[next:]...)
		}
		start = next
	}
	out := append([]byte(nil), content...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(out, line...)
	return append(out, '\n')
}

// hostsAddr returns the address field of an /etc/hosts line: its first
// word, "" for a blank or comment line.
func hostsAddr(l []byte) string {
	f := bytes.Fields(l)
	if len(f) == 0 || f[0][0] == '#' {
		return ""
	}
	addr, _, _ := bytes.Cut(f[0], []byte("#"))
	return string(addr)
}
