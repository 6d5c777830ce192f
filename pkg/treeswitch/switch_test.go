package treeswitch

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// tree writes files (name: content; a name ending in "/" is a
// directory, content "-> X" a link) under dir.
func tree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(name, "/"):
			err := os.MkdirAll(p, 0o755)
			if err == nil && content != "" {
				err = os.Chmod(p, 0o700)
			}
			if err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(content, "-> "):
			if err := os.Symlink(strings.TrimPrefix(content, "-> "), p); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// describe lists every entry under dir: type, mode, content or target.
func describe(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case st.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			m[rel] = "-> " + l
		case st.IsDir():
			m[rel] = st.Mode().String()
		default:
			b, _ := os.ReadFile(p)
			m[rel] = st.Mode().String() + " " + string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func source(t *testing.T) string {
	src := filepath.Join(t.TempDir(), "new")
	files := map[string]string{
		"init/luoyun/osm.conf": "new job", "osmanager.sh": "new", "install.sh": "new", "uninstall.sh": "new", "upgrade.sh": "new",
		"custom/osmanager.toml": "# shipped", "custom/www/index.html": "page", "build/VERSION": "v2", "build/.keep": "",
	}
	for _, b := range binaries {
		files["bin/"+b] = "new " + b
	}
	tree(t, src, files)
	return src
}

var stamp = time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)

func config(root, src string) Config {
	return Config{Root: root, Dest: "/LuoYun", Src: src, Out: &bytes.Buffer{}, Now: func() time.Time { return stamp }}
}

func TestUpgradeFresh(t *testing.T) {
	src, root := source(t), t.TempDir()
	res, err := Upgrade(config(root, src))
	if err != nil {
		t.Fatal(err)
	}
	if res.Renames != 1 || res.Backup != "" || res.Unchanged {
		t.Errorf("fresh: %+v, want one rename, no backup", res)
	}
	got := describe(t, filepath.Join(root, "LuoYun"))
	for _, want := range []string{"bin/osc", "custom/osmanager.toml", "build/VERSION", "conf", "log", "run", "upgrade.sh"} {
		if _, ok := got[want]; !ok {
			t.Errorf("fresh tree lacks %s", want)
		}
	}
	if _, ok := got["build/.keep"]; ok {
		t.Errorf("fresh tree has build/.keep")
	}
	if got["conf"] != "drwx------" || got["."] != "drwxr-xr-x" {
		t.Errorf("modes: conf %s, tree %s", got["conf"], got["."])
	}
	res, err = Upgrade(config(root, src))
	if err != nil || !res.Unchanged || res.Renames != 0 {
		t.Errorf("second run: %+v, %v; want unchanged", res, err)
	}
}

// old is an older tree with everything a tree may hold besides its components.
func old(t *testing.T, root string) string {
	d := filepath.Join(root, "LuoYun")
	tree(t, d, map[string]string{
		"bin/osm": "old osm", "bin/pyosc/osconfig.py": "old", "osmanager.sh": "old", "init/luoyun/osm.conf": "new job",
		"install.sh": "new", "uninstall.sh": "new", "upgrade.sh": "new",
		"custom/www/index.html": "mine", "custom/scripts/status": "mine", "build/VERSION": "Mine 9", "conf/": "0700",
		"conf/luoyun.conf": "KEY=secret", "log/osm.log": "log", "run/": "", "mine.txt": "builder's", "link": "-> /elsewhere",
		"backup-20200101-000000/bin/osm": "older", "install.manifest": "# init sysv",
	})
	return d
}

func TestUpgradeKeepsAllElse(t *testing.T) {
	for _, noExchange := range []bool{false, true} {
		src, root := source(t), t.TempDir()
		d := old(t, root)
		before := describe(t, d)
		var logIno uint64
		if st, err := os.Stat(filepath.Join(d, "log/osm.log")); err == nil {
			logIno = st.Sys().(*syscall.Stat_t).Ino
		}
		c := config(root, src)
		c.NoExchange = noExchange
		res, err := Upgrade(c)
		if err != nil {
			t.Fatal(err)
		}
		want := 2
		if noExchange {
			want = 3
		}
		if res.Renames != want || res.Backup != filepath.Join(d, "backup-20261207-050000") {
			t.Errorf("noExchange %v: %+v, want %d renames and the backup", noExchange, res, want)
		}
		after := describe(t, d)
		for k, v := range before {
			top := strings.SplitN(k, "/", 2)[0]
			if top == "bin" || top == "osmanager.sh" {
				if after["backup-20261207-050000/"+k] != v {
					t.Errorf("%s not in the backup: %q", k, after["backup-20261207-050000/"+k])
				}
				continue
			}
			if after[k] != v {
				t.Errorf("%s: %q, was %q", k, after[k], v)
			}
		}
		var backup []string
		for k := range after {
			if strings.HasPrefix(k, "backup-20261207-050000/") {
				backup = append(backup, strings.SplitN(strings.TrimPrefix(k, "backup-20261207-050000/"), "/", 2)[0])
			}
		}
		for _, b := range backup {
			if b != "bin" && b != "osmanager.sh" {
				t.Errorf("the backup holds %s", b)
			}
		}
		if after["custom/osmanager.toml"] != "-rw-r--r-- # shipped" {
			t.Errorf("custom/osmanager.toml: %q", after["custom/osmanager.toml"])
		}
		if st, err := os.Stat(filepath.Join(d, "log/osm.log")); err != nil || st.Sys().(*syscall.Stat_t).Ino != logIno {
			t.Errorf("log/osm.log is not the same file (a hard link) after the switch: %v", err)
		}
		if ents, _ := os.ReadDir(root); len(ents) != 1 {
			t.Errorf("beside the tree: %v", ents)
		}
	}
}

// TestUpgradeCut stops the switch after each of its renames, as a
// crash would (the goroutine ends there; nothing after it runs), and
// checks that the tree is the old or the new one and that the next run
// ends where an uncut one does.
func TestUpgradeCut(t *testing.T) {
	ref := t.TempDir()
	src := source(t)
	old(t, ref)
	if _, err := Upgrade(config(ref, src)); err != nil {
		t.Fatal(err)
	}
	want := describe(t, ref)
	for _, noExchange := range []bool{false, true} {
		for n := 1; n <= 3; n++ {
			if n == 3 && !noExchange {
				continue
			}
			root := t.TempDir()
			old(t, root)
			before := describe(t, filepath.Join(root, "LuoYun"))
			c := config(root, src)
			c.NoExchange = noExchange
			c.AfterRename = func(i int) {
				if i == n {
					runtime.Goexit()
				}
			}
			done := make(chan struct{})
			go func() { defer close(done); Upgrade(c) }()
			<-done
			now := map[string]string{}
			if _, err := os.Lstat(filepath.Join(root, "LuoYun")); err == nil {
				now = describe(t, filepath.Join(root, "LuoYun"))
			}
			delete(now, ".upgrade-journal")
			for k := range now {
				if strings.HasPrefix(k, "backup-20261207") {
					delete(now, k)
				}
			}
			wantTree := map[string]string{}
			for k, v := range want {
				if k != "." && !strings.HasPrefix(k, "LuoYun/backup-20261207") && strings.HasPrefix(k, "LuoYun/") {
					wantTree[strings.TrimPrefix(k, "LuoYun/")] = v
				}
			}
			wantTree["."] = want["LuoYun"]
			switch {
			case cmp.Equal(now, before), cmp.Equal(now, wantTree):
			case noExchange && n == 1 && len(now) == 0: // the moment without a tree
			default:
				t.Errorf("noExchange %v, cut after %d: neither old nor new (-new +now):\n%s", noExchange, n, cmp.Diff(wantTree, now))
			}
			if _, err := Upgrade(config(root, src)); err != nil {
				t.Fatalf("noExchange %v, cut after %d: second run: %v", noExchange, n, err)
			}
			if d := cmp.Diff(want, describe(t, root)); d != "" {
				t.Errorf("noExchange %v, cut after %d: after the second run (-uncut +got):\n%s", noExchange, n, d)
			}
		}
	}
}

func TestParseJournal(t *testing.T) {
	j := journal{old: ".LuoYun.upgrade-abc", backup: "backup-1", keep: []string{"bin", "init"}}
	got, err := parseJournal(j.bytes())
	if err != nil || !cmp.Equal(got, j, cmp.AllowUnexported(journal{})) {
		t.Errorf("parseJournal(%q) = %+v, %v", j.bytes(), got, err)
	}
	for _, bad := range []string{"", "old ../x\n", "old a\nkeep ../../etc\n", "backup b\n", "old a/b\n"} {
		if _, err := parseJournal([]byte(bad)); err == nil {
			t.Errorf("parseJournal(%q) accepted", bad)
		}
	}
}

func FuzzParseJournal(f *testing.F) {
	f.Add([]byte("old .LuoYun.upgrade-abc\nbackup backup-20261207-050000\nkeep bin\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := parseJournal(data)
		if err != nil {
			return
		}
		for _, n := range append([]string{j.old, j.backup}, j.keep...) {
			if strings.Contains(n, "/") || n == ".." {
				t.Errorf("parseJournal(%q) gave the name %q", data, n)
			}
		}
	})
}

func TestUpgradeOneAtATime(t *testing.T) {
	src, root := source(t), t.TempDir()
	d, err := os.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if _, err := Upgrade(config(root, src)); err == nil || !strings.Contains(err.Error(), "another upgrade is running") {
		t.Errorf("Upgrade while another holds the lock: %v", err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Errorf("it changed %s: %v", root, ents)
	}
}

// TestUpgradeMountPoint: a tree, or a directory it keeps, that is a mount
// point cannot move with the swap: the run stops before it changes
// anything (needs root: tmpfs).
func TestUpgradeMountPoint(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mount needs root")
	}
	for _, at := range []string{"", "log"} {
		src, root := source(t), t.TempDir()
		d := old(t, root)
		mnt := filepath.Join(d, at)
		if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
			t.Skipf("mount tmpfs: %v", err)
		}
		t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
		before := describe(t, root)
		if _, err := Upgrade(config(root, src)); err == nil || !strings.Contains(err.Error(), "mount point") {
			t.Errorf("Upgrade with %s a mount point: %v", mnt, err)
		}
		if d := cmp.Diff(before, describe(t, root)); d != "" {
			t.Errorf("with %s a mount point it changed (-before +after):\n%s", mnt, d)
		}
	}
}
