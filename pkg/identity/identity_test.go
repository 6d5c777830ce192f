package identity

import (
	"context"
	"crypto/elliptic"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/luoyun/osmanager/pkg/atomicfile"
	"github.com/luoyun/osmanager/pkg/idrecord"
)

// image makes a root with host keys of types, etc/machine-id (when id is
// not nil), etc/hostname and etc/hosts, as a builder's image has them.
func image(t *testing.T, id *string, types ...string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, SSHDir), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, typ := range types {
		priv, pub, err := NewHostKey(typ, elliptic.P384(), "root@builder")
		if err != nil {
			t.Fatal(err)
		}
		write(t, root, keyFile(typ), string(priv), 0o600)
		write(t, root, keyFile(typ)+".pub", string(pub), 0o644)
	}
	if id != nil {
		write(t, root, MachineIDFile, *id, 0o444)
	}
	write(t, root, HostnameFile, "builder\n", 0o644)
	write(t, root, HostsFile, "127.0.0.1\tlocalhost\n127.0.1.1\tbuilder\n", 0o644)
	return root
}

func write(t *testing.T, root, rel, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, rel), []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, rel), mode); err != nil {
		t.Fatal(err)
	}
}

// snapshot reads every regular file of a tree.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = fi.Mode().String() + " " + fi.ModTime().String() + " " + string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runIn(t *testing.T, root string, c Config) map[string]Step {
	t.Helper()
	r, err := atomicfile.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	steps := Run(context.Background(), r, c)
	out := map[string]Step{}
	var names []string
	for _, s := range steps {
		out[s.Name] = s
		names = append(names, s.Name)
		t.Logf("%s: %s (%s)", s.Name, s.Status, s.Detail)
	}
	if strings.Join(names, " ") != "hostname machine_id host_keys" {
		t.Fatalf("steps %v", names)
	}
	return out
}

// fakeReloader counts reloads.
type fakeReloader struct{ n int }

func (f *fakeReloader) Reload(context.Context) (string, error) { f.n++; return "reloaded", nil }

func all() Items { return Items{HostKeys: true, MachineID: true, Hostname: true} }

func none() *string { s := ""; return &s }

func TestFirstBoot(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, tt := range []struct {
		name  string
		rec   *idrecord.Record
		prev  *string
		first bool
	}{
		{"record, same TAG", &idrecord.Record{Tag: 42}, s(""), false},
		{"record, other TAG", &idrecord.Record{Tag: 41}, s("42"), true},
		{"no record, no luoyun.conf before", nil, s(""), true},
		{"no record, another TAG before", nil, s("41"), true},
		{"no record, not a number before", nil, s("x"), true},
		{"no record, same TAG before (upgraded in place)", nil, s(" 42 "), false},
		{"no record, nothing known (run by hand)", nil, nil, false},
	} {
		c := Config{Tag: 42, HasTag: true, Previous: tt.prev}
		if got, why := c.FirstBoot(tt.rec); got != tt.first {
			t.Errorf("%s: FirstBoot = %v (%s), want %v", tt.name, got, why, tt.first)
		}
	}
}

// TestRunTwiceThenNewTag: the first boot makes everything new; the same
// TAG again changes no byte; a new TAG makes new keys and id again.
func TestRunTwiceThenNewTag(t *testing.T) {
	oldID := "0123456789abcdef0123456789abcdef\n"
	root := image(t, &oldID, "ed25519", "ecdsa")
	before := snapshot(t, root)
	rec := filepath.Join(t.TempDir(), idrecord.File)
	var kernel []string
	sshd := &fakeReloader{}
	c := Config{Enabled: true, Items: all(), Tag: 42, HasTag: true, Previous: none(), Record: rec, DomainName: "vm-42.example.org.",
		SetHostname: func(n string) error { kernel = append(kernel, n); return nil }, SSHD: sshd}
	steps := runIn(t, root, c)
	if strings.Join(kernel, " ") != "vm-42" || sshd.n != 1 || !strings.HasSuffix(steps["host_keys"].Detail, "; reloaded") {
		t.Errorf("kernel's host name set to %q, sshd reloaded %d times (%q); want vm-42, once", kernel, sshd.n, steps["host_keys"].Detail)
	}
	for _, n := range []string{"hostname", "machine_id", "host_keys"} {
		if steps[n].Status != Changed {
			t.Errorf("%s: %s, want changed", n, steps[n].Status)
		}
	}
	after := snapshot(t, root)
	for _, f := range []string{"etc/ssh/ssh_host_ed25519_key", "etc/ssh/ssh_host_ed25519_key.pub", "etc/ssh/ssh_host_ecdsa_key", "etc/ssh/ssh_host_ecdsa_key.pub"} {
		if after[f] == before[f] {
			t.Errorf("%s unchanged", f)
		}
	}
	for f, mode := range map[string]os.FileMode{"etc/ssh/ssh_host_ed25519_key": 0o600, "etc/ssh/ssh_host_ed25519_key.pub": 0o644, MachineIDFile: 0o444} {
		if st, err := os.Stat(filepath.Join(root, f)); err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, %v; want %v", f, st.Mode(), err, mode)
		}
	}
	if pub, _ := os.ReadFile(filepath.Join(root, "etc/ssh/ssh_host_ecdsa_key.pub")); !strings.HasPrefix(string(pub), "ecdsa-sha2-nistp384 ") || !strings.HasSuffix(string(pub), " root@vm-42\n") {
		t.Errorf("ecdsa key %q: want the image's curve (P-384) and comment root@vm-42", pub)
	}
	id, _ := os.ReadFile(filepath.Join(root, MachineIDFile))
	if !regexp.MustCompile(`^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}\n$`).Match(id) || string(id) == oldID {
		t.Errorf("machine-id %q: want a new v4 id", id)
	}
	if h, _ := os.ReadFile(filepath.Join(root, HostnameFile)); string(h) != "vm-42\n" {
		t.Errorf("hostname %q", h)
	}
	if h, _ := os.ReadFile(filepath.Join(root, HostsFile)); string(h) != "127.0.0.1\tlocalhost\n127.0.1.1\tvm-42.example.org vm-42\n" {
		t.Errorf("hosts %q", h)
	}
	r, err := idrecord.Read(rec)
	if err != nil || r.Tag != 42 || len(r.HostKeys) != 2 || r.HostKeys[0].Type != "ED25519" || r.HostKeys[1].Bits != 384 || r.Hostname != "vm-42" {
		t.Fatalf("record %+v, %v", r, err)
	}
	if !strings.Contains(steps["host_keys"].Detail, r.HostKeys[0].String()) {
		t.Errorf("host_keys detail %q lacks %q", steps["host_keys"].Detail, r.HostKeys[0])
	}

	// The same instance again: nothing changes, the fingerprints are said.
	recBefore := snapshot(t, filepath.Dir(rec))
	c.Previous = nil
	steps = runIn(t, root, c)
	for _, n := range []string{"hostname", "machine_id", "host_keys"} {
		if steps[n].Status != Unchanged {
			t.Errorf("second run: %s: %s, want unchanged", n, steps[n].Status)
		}
	}
	if !strings.Contains(steps["host_keys"].Detail, r.HostKeys[1].String()) {
		t.Errorf("second run: host_keys detail %q lacks the fingerprints", steps["host_keys"].Detail)
	}
	assertSame(t, after, snapshot(t, root))
	assertSame(t, recBefore, snapshot(t, filepath.Dir(rec)))
	if len(kernel) != 1 || sshd.n != 1 {
		t.Errorf("second run: kernel's host name set %d times, sshd reloaded %d times; want neither again", len(kernel)-1, sshd.n-1)
	}

	// Another instance from the same tree: new keys and id again.
	c.Tag = 43
	runIn(t, root, c)
	third := snapshot(t, root)
	for _, f := range []string{"etc/ssh/ssh_host_ed25519_key", "etc/ssh/ssh_host_ecdsa_key.pub", MachineIDFile} {
		if third[f] == after[f] {
			t.Errorf("TAG 43: %s unchanged", f)
		}
	}
	if r, _ := idrecord.Read(rec); r.Tag != 43 {
		t.Errorf("record tag %d, want 43", r.Tag)
	}
}

func assertSame(t *testing.T, a, b map[string]string) {
	t.Helper()
	for f := range a {
		if a[f] != b[f] {
			t.Errorf("%s changed", f)
		}
	}
	if len(a) != len(b) {
		t.Errorf("%d files became %d", len(a), len(b))
	}
}

// TestUpgradedInPlace: no record and luoyun.conf held this TAG before:
// only the record is written.
func TestUpgradedInPlace(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef\n"
	root := image(t, &id, "ed25519")
	before := snapshot(t, root)
	rec := filepath.Join(t.TempDir(), idrecord.File)
	prev := "42"
	steps := runIn(t, root, Config{Enabled: true, Items: all(), Tag: 42, HasTag: true, Previous: &prev, Record: rec, DomainName: "vm.example.org"})
	for n, s := range steps {
		if s.Status != Unchanged {
			t.Errorf("%s: %s, want unchanged", n, s.Status)
		}
	}
	assertSame(t, before, snapshot(t, root))
	if r, err := idrecord.Read(rec); err != nil || r.Tag != 42 || len(r.HostKeys) != 1 {
		t.Errorf("record %+v, %v", r, err)
	}
}

// TestSwitchesAndEdges: each switch turns its part off; an empty
// machine-id stays empty, none stays none; no etc/ssh, no keys; a bad
// domain name leaves the host name alone; no TAG, nothing.
func TestSwitchesAndEdges(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef\n"
	empty := ""
	for _, tt := range []struct {
		name   string
		id     *string
		keys   []string
		items  Items
		off    bool
		domain string
		noTag  bool
		want   map[string]string // step -> status
		same   []string          // files left as they were
	}{
		{name: "host_keys off", id: &id, keys: []string{"ed25519"}, items: Items{MachineID: true, Hostname: true}, domain: "a.b",
			want: map[string]string{"host_keys": Skipped, "machine_id": Changed, "hostname": Changed}, same: []string{"etc/ssh/ssh_host_ed25519_key"}},
		{name: "machine_id off", id: &id, keys: []string{"ed25519"}, items: Items{HostKeys: true, Hostname: true}, domain: "a.b",
			want: map[string]string{"host_keys": Changed, "machine_id": Skipped, "hostname": Changed}, same: []string{MachineIDFile}},
		{name: "hostname off", id: &id, keys: []string{"ed25519"}, items: Items{HostKeys: true, MachineID: true}, domain: "a.b",
			want: map[string]string{"host_keys": Changed, "machine_id": Changed, "hostname": Skipped}, same: []string{HostnameFile, HostsFile}},
		{name: "identity off", id: &id, keys: []string{"ed25519"}, items: all(), off: true, domain: "a.b",
			want: map[string]string{"host_keys": Skipped, "machine_id": Skipped, "hostname": Skipped}, same: []string{MachineIDFile, HostnameFile, "etc/ssh/ssh_host_ed25519_key"}},
		{name: "empty machine-id, no keys, no domain", id: &empty, items: all(),
			want: map[string]string{"host_keys": Skipped, "machine_id": Skipped, "hostname": Skipped}, same: []string{MachineIDFile, HostnameFile, HostsFile}},
		{name: "no machine-id, bad domain", items: all(), domain: "10.0.0.5",
			want: map[string]string{"host_keys": Skipped, "machine_id": Skipped, "hostname": Skipped}, same: []string{HostnameFile}},
		{name: "no TAG", id: &id, keys: []string{"ed25519"}, items: all(), domain: "a.b", noTag: true,
			want: map[string]string{"host_keys": Skipped, "machine_id": Skipped, "hostname": Skipped}, same: []string{MachineIDFile, "etc/ssh/ssh_host_ed25519_key"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := image(t, tt.id, tt.keys...)
			if tt.keys == nil {
				os.RemoveAll(filepath.Join(root, SSHDir))
			}
			before := snapshot(t, root)
			rec := filepath.Join(t.TempDir(), idrecord.File)
			steps := runIn(t, root, Config{Enabled: !tt.off, Items: tt.items, Tag: 7, HasTag: !tt.noTag, Previous: none(), Record: rec, DomainName: tt.domain})
			for n, w := range tt.want {
				if steps[n].Status != w {
					t.Errorf("%s: %s (%s), want %s", n, steps[n].Status, steps[n].Detail, w)
				}
			}
			after := snapshot(t, root)
			for _, f := range tt.same {
				if before[f] != after[f] {
					t.Errorf("%s changed", f)
				}
			}
			if tt.id == nil {
				if _, err := os.Stat(filepath.Join(root, MachineIDFile)); err == nil {
					t.Errorf("a machine-id was made")
				}
			}
			_, err := os.Stat(rec)
			if recorded := err == nil; recorded == (tt.off || tt.noTag) {
				t.Errorf("record written: %v", recorded)
			}
		})
	}
}

// TestDryRun changes nothing and writes no record.
func TestDryRun(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef\n"
	root := image(t, &id, "ed25519")
	before := snapshot(t, root)
	rec := filepath.Join(t.TempDir(), idrecord.File)
	steps := runIn(t, root, Config{Enabled: true, Items: all(), Tag: 1, HasTag: true, Previous: none(), Record: rec, DomainName: "a.b", DryRun: true})
	for n, s := range steps {
		if s.Status != Changed || !strings.HasPrefix(s.Detail, "dry run: would ") {
			t.Errorf("%s: %s %q", n, s.Status, s.Detail)
		}
	}
	assertSame(t, before, snapshot(t, root))
	if _, err := os.Stat(rec); err == nil {
		t.Error("dry run wrote the record")
	}
}
