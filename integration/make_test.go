package integration

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// makeArgs runs make in the repository with the built binaries, so that
// nothing is rebuilt.
func makeArgs(t *testing.T, args ...string) []string {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	bin := binDir(t)
	var bins []string
	for _, b := range binaries {
		bins = append(bins, filepath.Join(bin, b))
	}
	return append([]string{"make", "-s", "-C", repoRoot(t), "BINS=" + strings.Join(bins, " ")}, args...)
}

// wantTree is the exact /LuoYun tree make install lays out, with the mode
// of each entry: fixed parts plus the repository's custom/, build/ and init/.
func wantTree(t *testing.T) map[string]fs.FileMode {
	t.Helper()
	want := map[string]fs.FileMode{
		"LuoYun": 0o755, "LuoYun/bin": 0o755, "LuoYun/conf": 0o700, "LuoYun/log": 0o755, "LuoYun/run": 0o755,
		"LuoYun/osmanager.sh": 0o755, "LuoYun/install.sh": 0o755, "LuoYun/uninstall.sh": 0o755, "LuoYun/upgrade.sh": 0o755,
	}
	for _, b := range binaries {
		want["LuoYun/bin/"+b] = 0o755
	}
	repo := repoRoot(t)
	for _, d := range []string{"custom", "build", "init"} {
		filepath.WalkDir(filepath.Join(repo, d), func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, _ := e.Info()
			rel, _ := filepath.Rel(repo, p)
			want["LuoYun/"+rel] = info.Mode().Perm()
			return nil
		})
	}
	return want
}

func treeModes(t *testing.T, root string) map[string]fs.FileMode {
	t.Helper()
	got := map[string]fs.FileMode{}
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel != "." {
			info, _ := e.Info()
			got[rel] = info.Mode().Perm()
		}
		return nil
	})
	return got
}

// TestMakeInstall: make install DESTDIR=... lays out exactly the tree;
// installing again over it keeps the appliance builder's custom/ and
// build/ and replaces the rest.
func TestMakeInstall(t *testing.T) {
	dest := t.TempDir()
	if r := runScript(t, []string{"MAKEFLAGS="}, makeArgs(t, "install", "DESTDIR="+dest)...); r.code != 0 {
		t.Fatalf("make install = exit %d:\n%s", r.code, r.out)
	}
	want := wantTree(t)
	if d := cmp.Diff(want, treeModes(t, dest)); d != "" {
		t.Errorf("installed tree (-want +got):\n%s", d)
	}
	for _, must := range []string{"LuoYun/custom/scripts/status", "LuoYun/custom/scripts/config.sample", "LuoYun/custom/osmanager.toml",
		"LuoYun/build/VERSION", "LuoYun/init/luoyun/osm.conf", "LuoYun/init/systemd/luoyun-osm.service"} {
		if _, ok := want[must]; !ok {
			t.Errorf("the tree lacks %s", must)
		}
	}

	// The builder's edits survive a second install.
	tree := filepath.Join(dest, "LuoYun")
	mustWrite(t, filepath.Join(tree, "custom/osmanager.toml"), "[web]\nport = 8081\n", 0o644)
	mustWrite(t, filepath.Join(tree, "custom/scripts/config"), "#!/bin/sh\n", 0o755)
	mustWrite(t, filepath.Join(tree, "build/VERSION"), "Mine 9\nApp: 9\n", 0o644)
	mustWrite(t, filepath.Join(tree, "bin/osm"), "old", 0o755)
	mustWrite(t, filepath.Join(tree, "osmanager.sh"), "old", 0o755)
	before := snapshot(t, dest)
	r := runScript(t, []string{"MAKEFLAGS="}, makeArgs(t, "install", "DESTDIR="+dest)...)
	if r.code != 0 || !strings.Contains(r.out, "keeping existing") {
		t.Fatalf("second make install = exit %d:\n%s", r.code, r.out)
	}
	after := snapshot(t, dest)
	if d := cmp.Diff([]string{"LuoYun/bin/osm", "LuoYun/osmanager.sh"}, changed(before, after)); d != "" {
		t.Errorf("second install changed (-want +got):\n%s", d)
	}
	// What it replaced is in the printed backup directory; nothing else is added.
	m := backupLine.FindStringSubmatch(r.out)
	if m == nil {
		t.Fatalf("second install printed no backup directory:\n%s", r.out)
	}
	rel, _ := filepath.Rel(dest, m[1])
	var wantAdded []string
	for _, k := range []string{"", "/bin", "/osmanager.sh"} {
		wantAdded = append(wantAdded, rel+k)
	}
	for _, b := range binaries {
		wantAdded = append(wantAdded, rel+"/bin/"+b)
	}
	sort.Strings(wantAdded)
	added, removed := diffKeys(before, after)
	if d := cmp.Diff(wantAdded, added); d != "" || len(removed) > 0 {
		t.Errorf("second install added (-want +got):\n%s\nremoved %v", d, removed)
	}
	if after[rel+"/bin/osm"] != before["LuoYun/bin/osm"] || after[rel+"/osmanager.sh"] != before["LuoYun/osmanager.sh"] {
		t.Errorf("the backup does not hold the replaced files")
	}

	// A third install finds nothing to change.
	if r := runScript(t, []string{"MAKEFLAGS="}, makeArgs(t, "install", "DESTDIR="+dest)...); r.code != 0 || !strings.Contains(r.out, "unchanged") {
		t.Fatalf("third make install = exit %d:\n%s", r.code, r.out)
	}
	if d := cmp.Diff(after, snapshot(t, dest)); d != "" {
		t.Errorf("third install changed the tree (-second +third):\n%s", d)
	}
}

// TestMakeQuoting: DESTDIR and DISTDIR with a space are one path each:
// nothing appears at the first word's path or in the source tree.
func TestMakeQuoting(t *testing.T) {
	base := t.TempDir()
	word := fmt.Sprintf("luoyun-quoting-%d", os.Getpid())
	repo := repoRoot(t)
	dest := filepath.Join(base, "my "+word)
	strays := []string{filepath.Join(base, "my"), filepath.Join(base, "dist"), filepath.Join(repo, word)}
	t.Cleanup(func() { // what a split path makes in the source tree goes, pass or fail
		os.RemoveAll(filepath.Join(repo, word))
	})
	if r := runScript(t, []string{"MAKEFLAGS="}, makeArgs(t, "install", "DESTDIR="+dest)...); r.code != 0 {
		t.Fatalf("make install DESTDIR=%q = exit %d:\n%s", dest, r.code, r.out)
	}
	if d := cmp.Diff(wantTree(t), treeModes(t, dest)); d != "" {
		t.Errorf("tree in %q (-want +got):\n%s", dest, d)
	}
	dist := filepath.Join(base, "dist "+word)
	if r := runScript(t, []string{"MAKEFLAGS="}, makeArgs(t, "dist", "DISTDIR="+dist)...); r.code != 0 {
		t.Fatalf("make dist DISTDIR=%q = exit %d:\n%s", dist, r.code, r.out)
	}
	if tars, _ := filepath.Glob(filepath.Join(dist, "luoyun-osmanager-*.tar.gz")); len(tars) != 1 {
		t.Errorf("make dist into %q made %v", dist, tars)
	}
	for _, stray := range strays {
		if _, err := os.Lstat(stray); !os.IsNotExist(err) {
			t.Errorf("%s exists: a path was split at its space", stray)
		}
	}
}

// TestMakeDist: the tarball holds exactly the installed tree, owned by root.
func TestMakeDist(t *testing.T) {
	dist := t.TempDir()
	if r := runScript(t, []string{"MAKEFLAGS="}, makeArgs(t, "dist", "DISTDIR="+dist)...); r.code != 0 {
		t.Fatalf("make dist = exit %d:\n%s", r.code, r.out)
	}
	tars, _ := filepath.Glob(filepath.Join(dist, "luoyun-osmanager-*.tar.gz"))
	if len(tars) != 1 {
		t.Fatalf("make dist made %v, want one tarball", tars)
	}
	out, err := exec.Command("tar", "-tzvf", tars[0]).CombinedOutput()
	if err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 {
			t.Fatalf("tar line %q", l)
		}
		if f[1] != "root/root" {
			t.Errorf("%s owned by %s, want root/root", f[len(f)-1], f[1])
		}
		got = append(got, strings.TrimSuffix(strings.TrimPrefix(f[5], "./"), "/"))
	}
	sort.Strings(got)
	var want []string
	for k := range wantTree(t) {
		want = append(want, k)
	}
	sort.Strings(want)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("tarball entries (-want +got):\n%s", d)
	}
	if _, err := os.Stat(filepath.Join(dist, "stage")); !os.IsNotExist(err) {
		t.Errorf("make dist left its stage directory: %v", err)
	}
}

// TestMakeUpToDate: with bin/ just built (make test builds it before the
// tests), make finds every binary up to date: nothing is rebuilt.
func TestMakeUpToDate(t *testing.T) {
	repo := repoRoot(t)
	var flavour []string
	switch binDir(t) {
	case filepath.Join(repo, "bin"):
	case filepath.Join(repo, "bin/multicall"):
		flavour = []string{"MULTICALL=1"}
	default:
		t.Skip("LUOYUN_BIN is not the repository's bin/: nothing to compare")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	argv := append([]string{"make", "-q", "-C", repo}, append(flavour, "build")...)
	if r := runScript(t, []string{"MAKEFLAGS="}, argv...); r.code != 0 {
		t.Errorf("%v = exit %d: make would rebuild up-to-date binaries\n%s", argv, r.code, r.out)
	}
}
