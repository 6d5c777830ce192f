package vmtest

import (
	"strings"
	"testing"
)

// checkIdentity compares a boot's identity with the boot before's (the
// image's before boot 1): a new TAG gives new host keys and machine-id,
// the same TAG keeps them; the host name is the domain name's first
// label.
func checkIdentity(t *testing.T, b bootSpec, prev, id guestIdentity) {
	t.Helper()
	t.Logf("%s: identity: machine-id %s, host name %s, host keys %s (changed: %v)", b.name, id.MachineID, id.Hostname, id.Fingerprints, id.Changed)
	if want, _, _ := strings.Cut(b.inst.Domain, "."); id.Hostname != want {
		t.Errorf("%s: host name %q, want %q", b.name, id.Hostname, want)
	}
	if len(id.MachineID) != 32 || strings.Count(id.Keys, " ") != 1 {
		t.Errorf("%s: machine-id %q, key digests %q: want 32 hex digits and two keys", b.name, id.MachineID, id.Keys)
	}
	newTag := !b.same
	if id.Changed != newTag {
		t.Errorf("%s: osc made new host keys: %v, want %v", b.name, id.Changed, newTag)
	}
	if newTag {
		if id.MachineID == prev.MachineID || id.Keys == prev.Keys || id.Fingerprints == prev.Fingerprints {
			t.Errorf("%s (new TAG): machine-id %s, keys %q, fingerprints %q; the boot before had %s, %q, %q: want all new",
				b.name, id.MachineID, id.Keys, id.Fingerprints, prev.MachineID, prev.Keys, prev.Fingerprints)
		}
		return
	}
	if id.MachineID != prev.MachineID || id.Keys != prev.Keys || id.Fingerprints != prev.Fingerprints {
		t.Errorf("%s (same TAG): machine-id %s, keys %q, fingerprints %q; the boot before had %s, %q, %q: want the same",
			b.name, id.MachineID, id.Keys, id.Fingerprints, prev.MachineID, prev.Keys, prev.Fingerprints)
	}
}

func TestParseIdentity(t *testing.T) {
	console := "2026-12-07 05:00:00,000 [INFO] osc: host_keys: unchanged (TAG 1002 configured before; 256 SHA256:abc/+d (ED25519), 256 SHA256:x (ECDSA))\r\n" +
		"VMTEST: identity: machine-id=25cdb090efbc497f8fc25ee7fa799b13 hostname=vm-1002 keys=0011223344556677 8899aabbccddeeff \r\n"
	id, err := parseIdentity(console)
	if err != nil || id.MachineID != "25cdb090efbc497f8fc25ee7fa799b13" || id.Hostname != "vm-1002" || id.Keys != "0011223344556677 8899aabbccddeeff" ||
		id.Fingerprints != "256 SHA256:abc/+d (ED25519), 256 SHA256:x (ECDSA)" || id.Changed {
		t.Errorf("parseIdentity = %+v, %v", id, err)
	}
	files, err := ImageIdentity()
	if err != nil || len(files) != 5 || len(strings.Fields(keyDigests(files))) != 2 {
		t.Errorf("ImageIdentity = %d files, %v; digests %q", len(files), err, keyDigests(files))
	}
}
