package idrecord

import (
	"strings"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	r := Record{Tag: 42, Hostname: "vm", HostKeys: []HostKey{{Type: "ED25519", Bits: 256, Fingerprint: "SHA256:abc", File: "/etc/ssh/ssh_host_ed25519_key.pub"}}}
	got, err := Parse(r.Marshal())
	if err != nil || got.Tag != 42 || got.Hostname != "vm" || len(got.HostKeys) != 1 || got.HostKeys[0] != r.HostKeys[0] {
		t.Fatalf("Parse(Marshal) = %+v, %v", got, err)
	}
	if s := r.HostKeys[0].String(); s != "256 SHA256:abc (ED25519)" {
		t.Errorf("String = %q", s)
	}
	for _, bad := range []string{"", "null x", "[1]", `{"tag":"x"}`, strings.Repeat(" ", maxRecord+1)} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%.20q): no error", bad)
		}
	}
	if r, _ := Parse([]byte(`{"tag":1,"host_keys":[{"type":"RSA\n(evil)","fingerprint":"SHA256:x\u001b[2J"}]}`)); strings.ContainsAny(Fingerprints(r.HostKeys), "\n\x1b") {
		t.Errorf("control characters kept: %q", Fingerprints(r.HostKeys))
	}
}

// FuzzParse: never panics; what it accepts has no control
// characters and marshals back to a record that parses the same.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"tag":42,"host_keys":[{"type":"ED25519","bits":256,"fingerprint":"SHA256:x","file":"/etc/ssh/k.pub"}],"hostname":"vm"}`))
	f.Add([]byte(`{"tag":-1,"host_keys":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		if err != nil {
			return
		}
		if strings.ContainsAny(Fingerprints(r.HostKeys)+r.Hostname, "\n\r\x00") {
			t.Fatalf("control characters in %+v", r)
		}
		again, err := Parse(r.Marshal())
		if err != nil || string(again.Marshal()) != string(r.Marshal()) {
			t.Fatalf("round trip: %+v -> %+v, %v", r, again, err)
		}
	})
}
