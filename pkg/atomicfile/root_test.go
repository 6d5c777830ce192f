package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func openRoot(t *testing.T, dir string) *Root {
	t.Helper()
	r, err := OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// TestResolveAsChroot: links are followed as a chroot follows them: an
// absolute target starts at the tree's top, ".." stops there.
func TestResolveAsChroot(t *testing.T) {
	top := t.TempDir()
	root := filepath.Join(top, "img")
	for _, d := range []string{"img/etc", "img/real/etc", "img/run/systemd/resolve", "outside/home"} {
		os.MkdirAll(filepath.Join(top, d), 0o755)
	}
	for link, target := range map[string]string{
		"img/abs":             "/real/etc",                               // absolute: inside the tree
		"img/up":              "../outside/home",                         // climbs: stops at the top
		"img/etc/resolv.conf": "../run/systemd/resolve/stub-resolv.conf", // relative, dangling
		"img/etc/abs-resolv":  "/run/resolvconf/resolv.conf",             // absolute, dangling
		"img/loop":            "loop",
		"img/deep":            "../../../../../../etc",
	} {
		if err := os.Symlink(target, filepath.Join(top, link)); err != nil {
			t.Fatal(err)
		}
	}
	r := openRoot(t, root)
	for _, tc := range []struct{ in, want, wantParent string }{
		{"etc/shadow", "etc/shadow", "etc/shadow"},
		{"abs/shadow", "real/etc/shadow", "real/etc/shadow"},
		{"abs", "real/etc", "abs"},
		{"up/.ssh/authorized_keys", "outside/home/.ssh/authorized_keys", "outside/home/.ssh/authorized_keys"},
		{"etc/resolv.conf", "run/systemd/resolve/stub-resolv.conf", "etc/resolv.conf"},
		{"etc/abs-resolv", "run/resolvconf/resolv.conf", "etc/abs-resolv"},
		{"deep/passwd", "etc/passwd", "etc/passwd"},
		{"../../etc/x", "etc/x", "etc/x"},
		{"/", ".", "."},
	} {
		got, err := r.Resolve(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		got, err = r.ResolveParent(tc.in)
		if err != nil || got != tc.wantParent {
			t.Errorf("ResolveParent(%q) = %q, %v; want %q", tc.in, got, err, tc.wantParent)
		}
	}
	if _, err := r.Resolve("loop/x"); err == nil || !strings.Contains(err.Error(), "too many levels") {
		t.Errorf("Resolve(loop/x) = %v, want ELOOP", err)
	}
}

// TestRootWriteStaysInside: with etc an absolute link to a host path and
// root a link climbing out of the tree, Write lands inside the tree (or
// fails) and the outside files keep their bytes.
func TestRootWriteStaysInside(t *testing.T) {
	top := t.TempDir()
	outside := filepath.Join(top, "outside")
	os.MkdirAll(filepath.Join(outside, "etc"), 0o755)
	os.MkdirAll(filepath.Join(top, "outside/home"), 0o755)
	victim := filepath.Join(outside, "etc/shadow")
	os.WriteFile(victim, []byte("host\n"), 0o640)
	root := filepath.Join(top, "img")
	os.MkdirAll(filepath.Join(root, outside), 0o755) // the same path, inside the tree
	if err := os.Symlink(filepath.Join(outside, "etc"), filepath.Join(root, "etc")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../outside/home", filepath.Join(root, "root")); err != nil {
		t.Fatal(err)
	}
	r := openRoot(t, root)
	if _, err := r.Write("etc/shadow", []byte("image\n"), Options{}); err == nil {
		t.Errorf("write through a link to a missing in-tree dir succeeded")
	}
	os.MkdirAll(filepath.Join(root, outside, "etc"), 0o755)
	if res, err := r.Write("etc/shadow", []byte("image\n"), Options{}); err != nil || res != Changed {
		t.Fatalf("Write = %v, %v", res, err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, outside, "etc/shadow")); string(b) != "image\n" {
		t.Errorf("in-tree file holds %q", b)
	}
	if b, _ := os.ReadFile(victim); string(b) != "host\n" {
		t.Errorf("outside file changed to %q", b)
	}
	if _, err := r.Write("root/.ssh/authorized_keys", []byte("k\n"), Options{}); err == nil {
		t.Error("write under a missing in-tree dir succeeded")
	}
	if _, err := os.Stat(filepath.Join(outside, "home/.ssh")); err == nil {
		t.Error("outside/home/.ssh was created")
	}
}
