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

func TestRender(t *testing.T) {
	k1, k2 := newKey(t, "root@builder"), newKey(t, "user@laptop")
	for _, tc := range []struct {
		name, in, want string
		wantErr        string
	}{
		{"one", k1, k1 + "\n", ""},
		{"two with blank and CRLF", k1 + "\r\n\r\n  " + k2 + "  \n", k1 + "\n" + k2 + "\n", ""},
		{"option line", k1 + "\ncommand=\"/bin/sh -c evil\" " + k2, "", "line 2: options"},
		{"options first", "from=\"*\",no-pty " + k1, "", "line 1: options"},
		{"garbage line", k1 + "\nevil", "", "line 2: not an ssh public key"},
		{"empty", " \n ", "", "no key"},
		{"bad base64", "ssh-ed25519 AAAA!!!! x", "", "line 1"},
		{"control char", k1 + "\x1b[2J", "", "control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Render(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Render = %q, %v; want error with %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Errorf("Render = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	root := t.TempDir()
	content, err := Render(newKey(t, "a@b"))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := Update(root, content, true); err != nil || res.String() != "changed" {
		t.Fatalf("dry run = %v, %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(root, "root")); err == nil {
		t.Fatalf("dry run created root/")
	}
	for i, want := range []string{"changed", "unchanged"} {
		res, err := Update(root, content, false)
		if err != nil || res.String() != want {
			t.Fatalf("run %d: Update = %v, %v; want %s", i+1, res, err, want)
		}
	}
	dst, _ := os.Stat(filepath.Join(root, "root/.ssh"))
	fst, _ := os.Stat(filepath.Join(root, Path))
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
	if got, _ := os.ReadFile(filepath.Join(root, Path)); string(got) != string(content) {
		t.Errorf("authorized_keys = %q", got)
	}
	// A loose .ssh directory and file are tightened.
	os.Chmod(filepath.Join(root, "root/.ssh"), 0o755)
	os.Chmod(filepath.Join(root, Path), 0o644)
	if res, err := Update(root, content, false); err != nil || res.String() != "changed" {
		t.Fatalf("Update of loose modes = %v, %v; want changed", res, err)
	}
	dst, _ = os.Stat(filepath.Join(root, "root/.ssh"))
	fst, _ = os.Stat(filepath.Join(root, Path))
	if dst.Mode().Perm() != 0o700 || fst.Mode().Perm() != 0o600 {
		t.Errorf("modes after tightening: dir %v file %v", dst.Mode().Perm(), fst.Mode().Perm())
	}
}

func FuzzRender(f *testing.F) {
	f.Add("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8x user@laptop")
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Render(s)
		if err != nil {
			return
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
			if _, _, opts, _, err := ssh.ParseAuthorizedKey([]byte(line)); err != nil || len(opts) > 0 {
				t.Fatalf("Render let through %q", line)
			}
		}
	})
}
