package osccmd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// needKeygen skips without ssh-keygen, which checks the keys osc makes.
func needKeygen(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("skipping: ssh-keygen is not installed (apt-get install openssh-client)")
	}
}

// identityImage is a root as a builder's image has it: host keys made by
// ssh-keygen (-A: rsa, ecdsa and ed25519; else only types), a
// machine-id, the builder's host name; and a luoyun.conf with TAG 42 and
// a domain name.
func identityImage(t *testing.T, types ...string) (root, conf string) {
	t.Helper()
	root, conf = setup(t, map[string]any{"domain": map[string]any{"name": "vm-42.example.org", "ip": "10.0.0.42"}})
	os.MkdirAll(filepath.Join(root, "etc/ssh"), 0o755)
	if len(types) == 0 {
		keygen(t, "-A", "-f", root)
	}
	for _, typ := range types {
		keygen(t, "-q", "-t", typ, "-N", "", "-C", "root@builder", "-f", filepath.Join(root, "etc/ssh/ssh_host_"+typ+"_key"))
	}
	for f, data := range map[string]string{
		"etc/machine-id": "0123456789abcdef0123456789abcdef\n",
		"etc/hostname":   "builder\n",
		"etc/hosts":      "127.0.0.1\tlocalhost\n127.0.1.1\tbuilder\n",
	} {
		if err := os.WriteFile(filepath.Join(root, f), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root, conf
}

func keygen(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ssh-keygen", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// files reads every regular file under root with its mode and mtime.
func files(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			out[rel] = fmt.Sprintf("%v %v %s", fi.Mode(), fi.ModTime().UnixNano(), b)
		}
		return nil
	})
	return out
}

func setTag(t *testing.T, conf string, tag int) {
	t.Helper()
	b, _ := os.ReadFile(conf)
	b = regexp.MustCompile(`(?m)^TAG=\d+$`).ReplaceAll(b, []byte(fmt.Sprintf("TAG=%d", tag)))
	if err := os.WriteFile(conf, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

var keyTypes = []string{"ed25519", "ecdsa", "rsa"}

// TestIdentity: osc --root on an image at its first boot (TAG 42): every
// host key is new and is a key ssh-keygen reads, the private keys 0600,
// a new machine-id, the host name from the domain name, the
// fingerprints in osc's output; the same TAG again changes nothing; TAG
// 43 makes new keys again.
func TestIdentity(t *testing.T) {
	needKeygen(t)
	bin, set := binary(t), noSettings(t)
	root, conf := identityImage(t)
	image := files(t, root)
	run := func(prev string) string {
		t.Helper()
		out, errOut, code := runBin(t, bin, "-c", conf, "--root", root, "--no-network", "--settings", set, "--previous-tag", prev)
		if code != 0 || errOut != "" {
			t.Fatalf("osc: exit %d, stderr %q, stdout\n%s", code, errOut, out)
		}
		return out
	}
	out := run("")
	t.Logf("first boot:\n%s", out)
	first := files(t, root)
	for _, typ := range keyTypes {
		priv := filepath.Join(root, "etc/ssh/ssh_host_"+typ+"_key")
		for _, f := range []string{priv, priv + ".pub"} {
			rel, _ := filepath.Rel(root, f)
			if first[rel] == image[rel] {
				t.Errorf("%s is the image's", rel)
			}
		}
		if st, err := os.Stat(priv); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", priv, st.Mode(), err)
		}
		if st, err := os.Stat(priv + ".pub"); err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("%s.pub: mode %v, %v; want 0644", priv, st.Mode(), err)
		}
		// ssh-keygen -l: "3072 SHA256:... root@vm-42 (RSA)"; osc says
		// the same without the comment.
		l := strings.Fields(keygen(t, "-l", "-f", priv+".pub"))
		if len(l) != 4 || l[2] != "root@vm-42" {
			t.Fatalf("ssh-keygen -l %s.pub: %q", priv, l)
		}
		if fp := l[0] + " " + l[1] + " " + l[3]; !strings.Contains(out, fp) {
			t.Errorf("osc's output lacks %s's fingerprint %q", typ, fp)
		}
		if typ == "rsa" && l[0] != "3072" {
			t.Errorf("rsa key of %s bits, want 3072", l[0])
		}
		// ssh-keygen -y derives the public key from the private one.
		pub, _ := os.ReadFile(priv + ".pub")
		derived := strings.Fields(keygen(t, "-y", "-f", priv))
		if want := strings.Fields(string(pub)); len(derived) < 2 || derived[0] != want[0] || derived[1] != want[1] {
			t.Errorf("ssh-keygen -y %s = %q, want %q", priv, derived, want[:2])
		}
	}
	if id := strings.TrimSuffix(first["etc/machine-id"][strings.LastIndex(first["etc/machine-id"], " ")+1:], "\n"); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) || id == "0123456789abcdef0123456789abcdef" {
		t.Errorf("machine-id %q: want a new one of 32 hex digits", id)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/hostname")); string(b) != "vm-42\n" {
		t.Errorf("etc/hostname = %q, want vm-42", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/hosts")); !strings.Contains(string(b), "\n127.0.1.1\tvm-42.example.org vm-42\n") {
		t.Errorf("etc/hosts = %q", b)
	}
	for _, l := range []string{"hostname: changed (", "machine_id: changed (", "host_keys: changed ("} {
		if !strings.Contains(out, "\n"+l) {
			t.Errorf("output lacks %q", l)
		}
	}

	// Booting again, the same instance: not a byte changes.
	out = run("42")
	if strings.Contains(out, ": changed") {
		t.Errorf("same TAG again:\n%s", out)
	}
	again := files(t, root)
	for f := range first {
		if again[f] != first[f] {
			t.Errorf("same TAG again: %s changed", f)
		}
	}

	// Another instance of the image: new keys again.
	setTag(t, conf, 43)
	out = run("42")
	t.Logf("TAG 43:\n%s", out)
	third := files(t, root)
	for _, f := range []string{"etc/ssh/ssh_host_ed25519_key", "etc/ssh/ssh_host_ecdsa_key.pub", "etc/ssh/ssh_host_rsa_key", "etc/machine-id"} {
		if third[f] == first[f] {
			t.Errorf("TAG 43: %s unchanged", f)
		}
	}
}

// TestIdentitySwitches: each [osc] switch turns its part off; a mistake
// in [osc] is a warning and the default.
func TestIdentitySwitches(t *testing.T) {
	needKeygen(t)
	bin := binary(t)
	for _, tc := range []struct {
		name, settings string
		same           []string // files the image keeps
		changed        []string // files made new
		warn           string
	}{
		{"host_keys", "[osc]\nhost_keys = false\n", []string{"etc/ssh/ssh_host_ed25519_key", "etc/ssh/ssh_host_ed25519_key.pub"}, []string{"etc/machine-id", "etc/hostname"}, ""},
		{"machine_id", "[osc]\nmachine_id = false\n", []string{"etc/machine-id"}, []string{"etc/ssh/ssh_host_ed25519_key", "etc/hostname"}, ""},
		{"hostname", "[osc]\nhostname = false\n", []string{"etc/hostname", "etc/hosts"}, []string{"etc/ssh/ssh_host_ed25519_key", "etc/machine-id"}, ""},
		{"identity", "[osc]\nidentity = false\n", []string{"etc/hostname", "etc/machine-id", "etc/ssh/ssh_host_ed25519_key"}, nil, ""},
		{"mistake", "[osc]\nhostname = \"no\"\nidentiy = false\n", nil, []string{"etc/hostname", "etc/machine-id", "etc/ssh/ssh_host_ed25519_key"},
			"osc: warning: SETTINGS line 2: [osc] hostname: must be true or false, got a string; using the default true\n" +
				"osc: warning: SETTINGS line 3: [osc] identiy: unknown key; did you mean identity?\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, conf := identityImage(t, "ed25519")
			set := filepath.Join(t.TempDir(), "osmanager.toml")
			os.WriteFile(set, []byte(tc.settings), 0o644)
			image := files(t, root)
			out, errOut, code := runBin(t, bin, "-c", conf, "--root", root, "--no-network", "--settings", set, "--previous-tag", "")
			if want := strings.ReplaceAll(tc.warn, "SETTINGS", set); code != 0 || errOut != want {
				t.Fatalf("osc: exit %d, stderr %q, want %q; stdout\n%s", code, errOut, want, out)
			}
			after := files(t, root)
			for _, f := range tc.same {
				if after[f] != image[f] {
					t.Errorf("%s changed", f)
				}
			}
			for _, f := range tc.changed {
				if after[f] == image[f] {
					t.Errorf("%s unchanged", f)
				}
			}
			if tc.name != "mistake" && !strings.Contains(out, "skipped: settings [osc] "+tc.name+" = false") {
				t.Errorf("output does not say %s is off:\n%s", tc.name, out)
			}
		})
	}
}
