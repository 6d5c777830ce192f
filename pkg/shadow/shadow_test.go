package shadow

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/luoyun/osmanager/pkg/atomicfile"
)

const sample = "root:$6$old$oldhash:19000:0:99999:7:::\n" +
	"daemon:*:19000:0:99999:7:::\n" +
	"rooted:$6$x$keep:19000:0:99999:7:::\n" +
	"bob:!:19000:0:99999:7:::" // no final newline

const good = "$6$rounds=5000$saltsalt$Cz4wU2Wq0bXZbG7bJjI8hV3oYkq3Q6P4rK8TdY4vS0S8k0WcUu2x5mZ1hC3qF9Jk6uVQy0cM3e2n1B7oPp2r1."

func TestValidateHash(t *testing.T) {
	for _, tc := range []struct {
		h  string
		ok bool
	}{
		{good, true},
		{"$6$salt$hash", true},
		{"$1$abcdefgh$0123456789abcdefghijkl", true},
		{"$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", true},
		{"$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7", true},
		{"abJnggxhB/yWI", true}, // DES
		{"", false},
		{"$6$x\nevil::0:0:99999:7:::", false},
		{"$6$x:evil", false},
		{"$6$salt$hash extra", false},
		{"$6$salt$hash\t", false},
		{"!", false},
		{"*", false},
		{"plaintext-password", false},
		{"$6$", false},
		{"$6$$hash", false},
		{"$$salt$hash", false},
		{"$6$salt$ha\x00sh", false},
		{"$6$sält$hash", false},
		{"$" + strings.Repeat("a", 600) + "$s$h", false},
	} {
		err := ValidateHash(tc.h)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateHash(%q) = %v, want ok=%v", tc.h, err, tc.ok)
		}
	}
}

func TestSetRootHash(t *testing.T) {
	got, err := SetRootHash([]byte(sample), "$6$new$newhash")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(sample, "$6$old$oldhash", "$6$new$newhash", 1)
	if string(got) != want {
		t.Errorf("SetRootHash =\n%s\nwant\n%s", got, want)
	}
	for _, tc := range []struct{ name, data, hash string }{
		{"no root", "daemon:*:1::::::\nrooted:x:1::::::\n", "$6$a$b"},
		{"root without fields", "root\n", "$6$a$b"},
		{"root without hash field end", "root:x", "$6$a$b"},
		{"injection", sample, "$6$x\nevil::0:0:99999:7:::"},
	} {
		if out, err := SetRootHash([]byte(tc.data), tc.hash); err == nil {
			t.Errorf("%s: SetRootHash = %q, want an error", tc.name, out)
		}
	}
	// root not first, CRLF lines kept.
	crlf := "daemon:*:1:::::\r\nroot::1:0:99999:7:::\r\n"
	got, err = SetRootHash([]byte(crlf), "$5$s$h")
	if err != nil || string(got) != "daemon:*:1:::::\r\nroot:$5$s$h:1:0:99999:7:::\r\n" {
		t.Errorf("SetRootHash(CRLF) = %q, %v", got, err)
	}
}

// TestUpdateKeepsModeAndGroup: a 0640 shadow owned by group shadow (or
// another non-root group) keeps mode and group; a second run writes
// nothing; dry-run writes nothing.
func TestUpdateKeepsModeAndGroup(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, Path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(sample), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	gid := -1
	if os.Geteuid() == 0 {
		gid = nonRootGroup(t)
		if err := os.Chown(p, 0, gid); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Log("not root: the group part of this test is skipped (chown needs root)")
	}

	before, _ := os.Stat(p)
	if res, err := Update(openRoot(t, root), "$6$new$newhash", true); err != nil || res.String() != "changed" {
		t.Fatalf("dry run: Update = %v, %v; want changed", res, err)
	}
	if after, _ := os.Stat(p); !os.SameFile(before, after) || after.ModTime() != before.ModTime() {
		t.Errorf("dry run touched the file")
	}
	if data, _ := os.ReadFile(p); string(data) != sample {
		t.Errorf("dry run changed the content")
	}

	if res, err := Update(openRoot(t, root), "$6$new$newhash", false); err != nil || res.String() != "changed" {
		t.Fatalf("Update = %v, %v; want changed", res, err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640", st.Mode().Perm())
	}
	if gid >= 0 {
		if g := int(st.Sys().(*syscall.Stat_t).Gid); g != gid {
			t.Errorf("group = %d, want %d", g, gid)
		}
	}
	data, _ := os.ReadFile(p)
	if want := strings.Replace(sample, "$6$old$oldhash", "$6$new$newhash", 1); string(data) != want {
		t.Errorf("content = %q, want %q", data, want)
	}

	again, _ := os.Stat(p)
	if res, err := Update(openRoot(t, root), "$6$new$newhash", false); err != nil || res.String() != "unchanged" {
		t.Fatalf("second Update = %v, %v; want unchanged", res, err)
	}
	if after, _ := os.Stat(p); !os.SameFile(again, after) {
		t.Errorf("second run replaced the file")
	}
}

func nonRootGroup(t *testing.T) int {
	for _, name := range []string{"shadow", "nogroup", "daemon"} {
		if g, err := user.LookupGroup(name); err == nil {
			if id, _ := strconv.Atoi(g.Gid); id != 0 {
				return id
			}
		}
	}
	return 42
}

func openRoot(t *testing.T, dir string) *atomicfile.Root {
	t.Helper()
	r, err := atomicfile.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}
