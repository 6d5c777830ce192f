package resolvconf

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
		err  string
	}{
		{[]string{"8.8.8.8", "114.114.114.114"}, "nameserver 8.8.8.8\nnameserver 114.114.114.114\n", ""},
		{[]string{"2001:4860:4860::8888"}, "nameserver 2001:4860:4860::8888\n", ""},
		{strings.Fields("8.8.8.8\noptions ndots:15"), "", `entry 2 "options"`},
		{[]string{"8.8.8.8 search evil.com"}, "", "not an IP address"},
		{[]string{"fe80::1%eth0"}, "", "not an IP address"},
		{[]string{"dns.example.com"}, "", "not an IP address"},
		{[]string{"08.8.8.8"}, "", "not an IP address"},
		{nil, "", "no name servers"},
	} {
		got, err := Render(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Render(%q) = %q, %v; want error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("Render(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzRender(f *testing.F) {
	f.Add("8.8.8.8 114.114.114.114")
	f.Add("8.8.8.8\noptions ndots:15")
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Render(strings.Fields(s))
		if err != nil {
			return
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
			if !strings.HasPrefix(line, "nameserver ") || strings.Count(line, " ") != 1 {
				t.Fatalf("Render wrote %q", line)
			}
		}
	})
}
