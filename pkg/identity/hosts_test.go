package identity

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseHostName(t *testing.T) {
	for _, tt := range []struct {
		in, fqdn, label string
		bad             bool
	}{
		{in: "vm-42.example.org", fqdn: "vm-42.example.org", label: "vm-42"},
		{in: "vm-42.example.org.", fqdn: "vm-42.example.org", label: "vm-42"},
		{in: "single", fqdn: "single", label: "single"},
		{in: "3com.example", fqdn: "3com.example", label: "3com"},
		{in: "Web01.Example.COM", fqdn: "Web01.Example.COM", label: "Web01"},
		{in: strings.Repeat("a", 63) + ".x", fqdn: strings.Repeat("a", 63) + ".x", label: strings.Repeat("a", 63)},
		{in: "", bad: true},
		{in: ".", bad: true},
		{in: "10.0.0.5", bad: true},
		{in: "::1", bad: true},
		{in: "a..b", bad: true},
		{in: ".a", bad: true},
		{in: "-a.b", bad: true},
		{in: "a-.b", bad: true},
		{in: "my_host.example", bad: true},
		{in: "host name", bad: true},
		{in: "a\nb", bad: true},
		{in: "ünï.example", bad: true},
		{in: strings.Repeat("a", 64) + ".x", bad: true},
		{in: strings.Repeat("a.", 127) + "ab", bad: true}, // 256 characters
	} {
		fqdn, label, err := ParseHostName(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseHostName(%q) = %q, %q; want an error", tt.in, fqdn, label)
			}
			continue
		}
		if err != nil || fqdn != tt.fqdn || label != tt.label {
			t.Errorf("ParseHostName(%q) = %q, %q, %v; want %q, %q", tt.in, fqdn, label, err, tt.fqdn, tt.label)
		}
	}
}

func TestSetHostsLine(t *testing.T) {
	line := HostsLine("vm.example.org", "vm")
	if line != "127.0.1.1\tvm.example.org vm" {
		t.Fatalf("HostsLine = %q", line)
	}
	if l := HostsLine("vm", "vm"); l != "127.0.1.1\tvm" {
		t.Errorf("HostsLine(single label) = %q", l)
	}
	for _, tt := range []struct{ name, in, want string }{
		{"empty", "", line + "\n"},
		{"debian", "127.0.0.1\tlocalhost\n127.0.1.1\tbuilder\n\n::1 localhost ip6-localhost\n",
			"127.0.0.1\tlocalhost\n" + line + "\n\n::1 localhost ip6-localhost\n"},
		{"none: appended", "127.0.0.1 localhost\n", "127.0.0.1 localhost\n" + line + "\n"},
		{"no final newline", "127.0.0.1 localhost", "127.0.0.1 localhost\n" + line + "\n"},
		{"last line, no newline", "127.0.0.1 localhost\n127.0.1.1 old", "127.0.0.1 localhost\n" + line},
		{"crlf kept", "127.0.1.1 old\r\n127.0.0.1 localhost\r\n", line + "\r\n127.0.0.1 localhost\r\n"},
		{"indented, comment after", "  127.0.1.1 old # builder\nx\n", line + "\nx\n"},
		{"commented line not taken", "#127.0.1.1 old\n", "#127.0.1.1 old\n" + line + "\n"},
		{"only the first", "127.0.1.1 a\n127.0.1.1 b\n", line + "\n127.0.1.1 b\n"},
		{"address prefix is another address", "127.0.1.10 x\n", "127.0.1.10 x\n" + line + "\n"},
		{"already there", line + "\n", line + "\n"},
	} {
		got := string(SetHostsLine([]byte(tt.in), line))
		if got != tt.want {
			t.Errorf("%s: SetHostsLine(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// FuzzSetHostsLine: whatever /etc/hosts holds, the result names the
// machine on its first 127.0.1.1 line, a second edit changes nothing,
// and every other line is kept.
func FuzzSetHostsLine(f *testing.F) {
	for _, s := range []string{"", "127.0.1.1 old\n", "a\r\nb", "\n\n#x\n127.0.1.1", "127.0.1.1#c\n127.0.1.1 d"} {
		f.Add([]byte(s))
	}
	line := HostsLine("vm.example.org", "vm")
	f.Fuzz(func(t *testing.T, in []byte) {
		out := SetHostsLine(in, line)
		if again := SetHostsLine(out, line); !bytes.Equal(again, out) {
			t.Fatalf("second edit changed %q to %q", out, again)
		}
		var first string
		for _, l := range strings.Split(string(out), "\n") {
			if hostsAddr([]byte(l)) == HostsAddr {
				first = strings.TrimSuffix(l, "\r")
				break
			}
		}
		if first != line {
			t.Fatalf("first %s line of %q is %q, want %q", HostsAddr, out, first, line)
		}
		// Removing our line (and what was replaced) leaves the other lines.
		inLines := strings.Split(string(in), "\n")
		outLines := strings.Split(string(out), "\n")
		if len(outLines) < len(inLines) || len(outLines) > len(inLines)+2 {
			t.Fatalf("%d lines became %d: %q -> %q", len(inLines), len(outLines), in, out)
		}
	})
}
