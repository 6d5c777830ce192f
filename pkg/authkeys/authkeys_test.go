package authkeys

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/luoyun/osmanager/pkg/atomicfile"
)

func newKey(t testing.TB, comment string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " " + comment
}

// TestRender: the authorized_keys format is accepted — comments, blank
// lines, options, several keys, CRLF — and only the lines that are not
// entries are refused, by number, never quoted; the others are kept.
func TestRender(t *testing.T) {
	k1, k2 := newKey(t, "root@builder"), newKey(t, "user@laptop")
	const secret = "hunter2-the-root-password"
	for _, tc := range []struct {
		name, in, want string
		keys           int
		refused        string // RefusedList of the refused lines
		wantErr        string
	}{
		{"one", k1, k1 + "\n", 1, "", ""},
		{"two with blank and CRLF", k1 + "\r\n\r\n  " + k2 + "  \n", k1 + "\n" + k2 + "\n", 2, "", ""},
		{"comments", "# the owner's laptop\n" + k1 + "\n\n  # old key, removed\n", "# the owner's laptop\n" + k1 + "\n# old key, removed\n", 1, "", ""},
		{"from option", `from="10.0.0.0/8" ` + k1, `from="10.0.0.0/8" ` + k1 + "\n", 1, "", ""},
		{"command and restrict", k1 + "\n" + `command="/usr/bin/backup",restrict,no-pty ` + k2,
			k1 + "\n" + `command="/usr/bin/backup",restrict,no-pty ` + k2 + "\n", 2, "", ""},
		{"garbage line kept out", k1 + "\n" + secret + "\n" + k2, k1 + "\n" + k2 + "\n", 2, "line 2: not an ssh public key", ""},
		{"secret before a key", secret + " " + k1 + "\n" + k2, k2 + "\n", 1, "line 1: option 1 is not one sshd knows", ""},
		{"bad base64", "ssh-ed25519 AAAA!!!! x\n" + k1, k1 + "\n", 1, "line 1: not an ssh public key", ""},
		{"control char", k1 + "\x1b[2J\n" + k2, k2 + "\n", 1, "line 1: control character", ""},
		{"lone CR", k1 + "\rcommand=\"evil\" " + k2 + "\n" + k2, k2 + "\n", 1, "line 1: control character", ""},
		{"NUL", k1 + "\x00" + "\n" + k2, k2 + "\n", 1, "line 1: control character", ""},
		{"only comments", "# nothing\n\n", "", 0, "", "no key"},
		{"empty", " \n ", "", 0, "", "no key"},
		{"nothing valid", "evil\n" + secret, "", 0, "", "no valid key: line 1: not an ssh public key; line 2: not an ssh public key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Render(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Render = %+v, %v; want error %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || string(got.Content) != tc.want || got.Keys != tc.keys || RefusedList(got.Refused) != tc.refused {
				t.Errorf("Render = %q, %d keys, refused %q, %v; want %q, %d keys, refused %q", got.Content, got.Keys, RefusedList(got.Refused), err, tc.want, tc.keys, tc.refused)
			}
			if strings.Contains(RefusedList(got.Refused), secret) {
				t.Errorf("a refused line was quoted")
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	dir := t.TempDir()
	root, err := atomicfile.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	r, err := Render(newKey(t, "a@b"))
	if err != nil {
		t.Fatal(err)
	}
	content := r.Content
	if res, err := Update(root, content, true); err != nil || res.String() != "changed" {
		t.Fatalf("dry run = %v, %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "root")); err == nil {
		t.Fatalf("dry run created root/")
	}
	for i, want := range []string{"changed", "unchanged"} {
		res, err := Update(root, content, false)
		if err != nil || res.String() != want {
			t.Fatalf("run %d: Update = %v, %v; want %s", i+1, res, err, want)
		}
	}
	dst, _ := os.Stat(filepath.Join(dir, "root/.ssh"))
	fst, _ := os.Stat(filepath.Join(dir, Path))
	if dst.Mode().Perm() != 0o700 || fst.Mode().Perm() != 0o600 {
		t.Errorf("modes: dir %v file %v, want 0700 and 0600", dst.Mode().Perm(), fst.Mode().Perm())
	}
	if os.Geteuid() == 0 {
		for _, st := range []os.FileInfo{dst, fst} {
			if s := st.Sys().(*syscall.Stat_t); s.Uid != 0 || s.Gid != 0 {
				t.Errorf("%s owned by %d:%d, want root", st.Name(), s.Uid, s.Gid)
			}
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dir, Path)); string(got) != string(content) {
		t.Errorf("authorized_keys = %q", got)
	}
	// A loose .ssh directory and file are tightened.
	os.Chmod(filepath.Join(dir, "root/.ssh"), 0o755)
	os.Chmod(filepath.Join(dir, Path), 0o644)
	if res, err := Update(root, content, false); err != nil || res.String() != "changed" {
		t.Fatalf("Update of loose modes = %v, %v; want changed", res, err)
	}
	dst, _ = os.Stat(filepath.Join(dir, "root/.ssh"))
	fst, _ = os.Stat(filepath.Join(dir, Path))
	if dst.Mode().Perm() != 0o700 || fst.Mode().Perm() != 0o600 {
		t.Errorf("modes after tightening: dir %v file %v", dst.Mode().Perm(), fst.Mode().Perm())
	}
}

// TestUpdateStaysInTree: root's home a link climbing out of the tree
// (root -> ../outside/home) is followed inside the tree; nothing is
// created outside.
func TestUpdateStaysInTree(t *testing.T) {
	top := t.TempDir()
	os.MkdirAll(filepath.Join(top, "outside/home"), 0o755)
	img := filepath.Join(top, "img")
	os.MkdirAll(filepath.Join(img, "outside/home"), 0o755)
	if err := os.Symlink("../outside/home", filepath.Join(img, "root")); err != nil {
		t.Fatal(err)
	}
	root, err := atomicfile.OpenRoot(img)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	r, _ := Render(newKey(t, "a@b"))
	if res, err := Update(root, r.Content, false); err != nil || res != atomicfile.Changed {
		t.Fatalf("Update = %v, %v", res, err)
	}
	if b, err := os.ReadFile(filepath.Join(img, "outside/home/.ssh/authorized_keys")); err != nil || string(b) != string(r.Content) {
		t.Errorf("in-tree authorized_keys = %q, %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(top, "outside/home/.ssh")); err == nil {
		t.Error("outside/home/.ssh was created outside the tree")
	}
}

func FuzzRender(f *testing.F) {
	f.Add("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8x user@laptop")
	f.Add("# comment\r\n\r\nfrom=\"10.0.0.0/8\",no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8x a\n")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Render(s)
		if err != nil {
			return
		}
		keys := 0
		for _, line := range strings.Split(strings.TrimSuffix(string(r.Content), "\n"), "\n") {
			if strings.ContainsAny(line, "\r\x00") || line == "" {
				t.Fatalf("Render wrote %q", line)
			}
			if strings.HasPrefix(line, "#") {
				continue
			}
			keys++
			if _, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(line)); err != nil || len(rest) > 0 {
				t.Fatalf("Render let through %q", line)
			}
		}
		if keys != r.Keys || keys == 0 {
			t.Fatalf("Keys = %d, content has %d", r.Keys, keys)
		}
		if len(r.Content) > len(s)+1 {
			t.Fatalf("content longer than the setting")
		}
	})
}
