package hostname

import (
	"errors"
	"net"
	"testing"

	"github.com/luoyun/osmanager/pkg/lyconf"
)

func fixed(cidrs ...string) Addrs {
	return func() ([]net.Addr, error) {
		var out []net.Addr
		for _, c := range cidrs {
			ip, n, err := net.ParseCIDR(c)
			if err != nil {
				return nil, err
			}
			n.IP = ip
			out = append(out, n)
		}
		return out, nil
	}
}

func TestName(t *testing.T) {
	tests := []struct {
		name  string
		in    *lyconf.Instance
		addrs Addrs
		want  string
	}{
		{"domain wins", &lyconf.Instance{Domain: &lyconf.Domain{Name: "app.example.com"}}, fixed("10.0.0.5/24"), "app.example.com"},
		{"blank domain", &lyconf.Instance{Domain: &lyconf.Domain{Name: "  "}}, fixed("127.0.0.1/8", "::1/128", "fe80::1/64", "169.254.1.1/16", "10.0.2.15/24"), "10.0.2.15"},
		{"nil instance", nil, fixed("192.0.2.9/24"), "192.0.2.9"},
	}
	for _, tt := range tests {
		if got := Name(tt.in, tt.addrs); got != tt.want {
			t.Errorf("%s: Name = %q, want %q", tt.name, got, tt.want)
		}
	}
	// No address at all: falls back to a non-empty host name.
	if got := Name(nil, func() ([]net.Addr, error) { return nil, errors.New("no") }); got == "" {
		t.Error("Name with no addresses is empty")
	}
}
