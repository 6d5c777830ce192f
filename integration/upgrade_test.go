package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The original's upstart jobs (init/luoyun/*.conf), as its tree shipped
// them and as they were copied to /etc/init/luoyun/: what each runs.
var originalJobs = map[string]string{
	"osconfig.conf":     "start on stopped rc RUNLEVEL=[345]\n\nconsole output\ntask\nexec /LuoYun/bin/lyconfig.sh\n",
	"customconfig.conf": "start on stopped luoyun/osconfig\n\nconsole output\ntask\nscript\n  if [ -x /LuoYun/custom/scripts/config ]\n  then\n    /LuoYun/custom/scripts/config \n  else\n    exit 0\n  fi\nend script\n",
	"customweb.conf":    "start on stopped luoyun/osconfig\n\nconsole output\nrespawn\nexec /LuoYun/bin/pyweb/lyweb.py 8080\n",
	"osm.conf":          "start on stopped luoyun/osconfig\n\nconsole output\nrespawn\nexec /LuoYun/bin/pyosm/lyosm.py\n",
	"webssh.conf":       "start on stopped luoyun/osconfig\n\nconsole output\nrespawn\nscript\n  port=$(/LuoYun/bin/webssh/websshport.py)\n  exec /LuoYun/bin/webssh/shellinaboxd -t -p $port -s /:SSH\nend script\n",
}

// originalRoot makes a system root holding an original-shaped /LuoYun
// tree (the original's names and layout, placeholder contents), its
// upstart jobs in /etc/init/luoyun, its rc links, and one foreign job.
func originalRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	tree := filepath.Join(root, "LuoYun")
	files := map[string]string{
		"osmanager.sh": "#!/bin/sh\n# original\n", "install.sh": "#!/bin/bash\n# original\n", "uninstall.sh": "#!/bin/bash\n# original\n",
		"bin/lyconfig.sh": "#!/bin/sh\n", "bin/webssh/webssh.py": "#!/usr/bin/python\n", "bin/webssh/websshport.py": "#!/usr/bin/python\n",
		"bin/webssh/shellinaboxd": "\x7fELF placeholder", "bin/pyosm/lyosm.py": "#!/usr/bin/python\n", "bin/pyosm/lyconf.py": "",
		"bin/pyweb/lyweb.py": "#!/usr/bin/python\n", "bin/pyweb/luoyuninfo.py": "", "bin/pyosc/osconfig.py": "#!/usr/bin/python\n",
		"custom/www/nocookie/index.html": "<p>$hostname</p>\n", "custom/www/withcookie/index.html": "<p>$ip</p>\n",
		"custom/www/withcookie/favicon.ico": "\x00\x00\x01\x00", "custom/scripts/status": "#!/bin/sh\nexit 0\n",
		"custom/scripts/config": "#!/bin/sh\n", "build/VERSION": "Appliance 1.0\n", "build/BASE": "CentOS 6\n",
		"conf/luoyun.conf": "TAG=7\nKEY=secret\n", "log/luoyun.log": "old log\n",
	}
	for name, job := range originalJobs {
		files["init/luoyun/"+name] = job
		files["../etc/init/luoyun/"+name] = job
	}
	files["../etc/init/other.conf"] = "exec /usr/bin/other\n"
	for name, content := range files {
		p := filepath.Join(tree, name)
		mkdirs(t, filepath.Dir(p), ".")
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".py") || strings.HasSuffix(name, ".sh") || strings.HasPrefix(name, "custom/scripts/") || strings.HasSuffix(name, "shellinaboxd") {
			mode = 0o755
		}
		writeFile(t, p, content, mode)
	}
	for _, n := range []string{"2", "3", "4", "5"} {
		mkdirs(t, root, "etc/rc"+n+".d")
		symlink(t, "/LuoYun/osmanager.sh", filepath.Join(root, "etc/rc"+n+".d/S99luoyun-osmanager"))
	}
	return root
}

// subtree returns the entries of snap under prefix.
func subtree(snap map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range snap {
		if k == prefix || strings.HasPrefix(k, prefix+"/") {
			out[k] = v
		}
	}
	return out
}

var backupLine = regexp.MustCompile(`old components moved to (\S+)`)

// upgradeWays upgrades the tree at root/LuoYun by make install DESTDIR=
// or by the tarball of make dist, unpacked elsewhere, and its upgrade.sh.
var upgradeWays = map[string]func(t *testing.T, root string) result{
	"make install": func(t *testing.T, root string) result {
		return runScript(t, []string{"MAKEFLAGS="}, makeArgs(t, "install", "DESTDIR="+root)...)
	},
	"tarball": func(t *testing.T, root string) result { return fromTarball(t, root, nil) },
	"tarball busybox": func(t *testing.T, root string) result {
		bb, err := exec.LookPath("busybox")
		if err != nil {
			t.Skip("busybox not installed")
		}
		return fromTarball(t, root, []string{bb, "sh"})
	},
}

// fromTarball makes the tarball with make dist, unpacks it in a new
// directory and runs its upgrade.sh (with the shell sh, when given) on
// root/LuoYun, as docs/integration.md says.
func fromTarball(t *testing.T, root string, sh []string) result {
	t.Helper()
	dist := t.TempDir()
	if r := runScript(t, []string{"MAKEFLAGS="}, makeArgs(t, "dist", "DISTDIR="+dist)...); r.code != 0 {
		t.Fatalf("make dist = exit %d:\n%s", r.code, r.out)
	}
	tars, _ := filepath.Glob(filepath.Join(dist, "luoyun-osmanager-*.tar.gz"))
	if len(tars) != 1 {
		t.Fatalf("make dist made %v", tars)
	}
	unpacked := t.TempDir()
	if out, err := exec.Command("tar", "-C", unpacked, "-xzf", tars[0]).CombinedOutput(); err != nil {
		t.Fatalf("tar -x: %v\n%s", err, out)
	}
	argv := append(append([]string{}, sh...), filepath.Join(unpacked, "LuoYun/upgrade.sh"), filepath.Join(root, "LuoYun"))
	return runScript(t, nil, argv...)
}

// TestUpgradeOriginal upgrades an original tree both ways: the original's
// components end up in one printed backup directory and nowhere else, the
// new tree is complete, custom/ build/ conf/ are byte for byte as before,
// a second run changes nothing; install.sh then replaces the original's
// upstart jobs and rc links without --force, nothing under /etc runs the
// old programs, and uninstall.sh removes exactly what install.sh installed.
func TestUpgradeOriginal(t *testing.T) {
	for _, way := range []string{"make install", "tarball", "tarball busybox"} {
		t.Run(strings.ReplaceAll(way, " ", "_"), func(t *testing.T) {
			root := originalRoot(t)
			tree := filepath.Join(root, "LuoYun")
			before := snapshot(t, root)

			r := upgradeWays[way](t, root)
			if r.code != 0 || !strings.Contains(r.out, "upgrade success") {
				t.Fatalf("upgrade = exit %d:\n%s", r.code, r.out)
			}
			m := backupLine.FindStringSubmatch(r.out)
			if m == nil {
				t.Fatalf("upgrade printed no backup directory:\n%s", r.out)
			}
			backup := m[1]
			if !strings.Contains(r.out, "next: run install.sh") {
				t.Errorf("upgrade did not say that the original's jobs need install.sh:\n%s", r.out)
			}
			if filepath.Dir(backup) != tree {
				t.Fatalf("backup %s is not in %s", backup, tree)
			}
			after := snapshot(t, root)
			for _, kept := range []string{"LuoYun/custom", "LuoYun/build", "LuoYun/conf", "LuoYun/log", "etc"} {
				got := subtree(after, kept)
				if kept == "LuoYun/custom" {
					// The settings file as shipped is added, and the last line says where.
					shipped := snapshot(t, filepath.Join(repoRoot(t), "custom"))["osmanager.toml"]
					if got["LuoYun/custom/osmanager.toml"] != shipped {
						t.Errorf("custom/osmanager.toml after the upgrade: %.80s", got["LuoYun/custom/osmanager.toml"])
					}
					if !strings.Contains(lastLine(r.out), "settings in "+filepath.Join(tree, "custom/osmanager.toml")) {
						t.Errorf("the upgrade's last line does not say where the settings file is:\n%s", r.out)
					}
					delete(got, "LuoYun/custom/osmanager.toml")
				}
				if d := cmp.Diff(subtree(before, kept), got); d != "" {
					t.Errorf("%s changed (-before +after):\n%s", kept, d)
				}
			}
			// Every old component is in the backup, byte for byte.
			rel, _ := filepath.Rel(root, backup)
			for _, c := range []string{"bin", "init", "osmanager.sh", "install.sh", "uninstall.sh"} {
				old := subtree(before, "LuoYun/"+c)
				moved := map[string]string{}
				for k, v := range subtree(after, rel+"/"+c) {
					moved["LuoYun/"+strings.TrimPrefix(k, rel+"/")] = v
				}
				if d := cmp.Diff(old, moved); d != "" {
					t.Errorf("backup of %s (-old +backup):\n%s", c, d)
				}
			}
			// The new tree: exactly the shipped components, kept parts and backup.
			var top []string
			entries, _ := os.ReadDir(tree)
			for _, e := range entries {
				top = append(top, e.Name())
			}
			want := []string{filepath.Base(backup), "bin", "build", "conf", "custom", "init", "install.sh", "log", "osmanager.sh", "run", "uninstall.sh", "upgrade.sh"}
			sort.Strings(want)
			if d := cmp.Diff(want, top); d != "" {
				t.Errorf("tree top level (-want +got):\n%s", d)
			}
			var bins []string
			entries, _ = os.ReadDir(filepath.Join(tree, "bin"))
			for _, e := range entries {
				bins = append(bins, e.Name())
			}
			wantBins := append([]string(nil), binaries...)
			sort.Strings(wantBins)
			if d := cmp.Diff(wantBins, bins); d != "" {
				t.Errorf("bin/ (-want +got):\n%s", d)
			}
			for _, p := range []string{"osmanager.sh", "install.sh", "uninstall.sh", "init/luoyun/osm.conf"} {
				got, _ := os.ReadFile(filepath.Join(tree, p))
				shipped, _ := os.ReadFile(filepath.Join(repoRoot(t), p))
				if string(got) != string(shipped) {
					t.Errorf("%s is not the shipped one", p)
				}
			}

			// A second run changes nothing (a stage left by a killed run aside).
			stale := filepath.Join(tree, ".upgrade-stage.Kd93jA")
			mkdirs(t, stale, "bin")
			writeFile(t, filepath.Join(stale, "bin/osm"), "half", 0o755)
			r = upgradeWays[way](t, root)
			if r.code != 0 || !strings.Contains(r.out, "unchanged") || !strings.Contains(r.out, "removed the stale stage") {
				t.Fatalf("second upgrade = exit %d:\n%s", r.code, r.out)
			}
			if d := cmp.Diff(after, snapshot(t, root)); d != "" {
				t.Errorf("second upgrade changed the root (-first +second):\n%s", d)
			}

			// install.sh replaces the original's jobs and rc links without --force.
			r = runScript(t, nil, filepath.Join(tree, "install.sh"), "--root", root, "--init", "upstart")
			if r.code != 0 || !strings.Contains(r.out, "install success: upstart") || !strings.Contains(r.out, "replaced the original's") {
				t.Fatalf("install.sh over the original's jobs = exit %d:\n%s", r.code, r.out)
			}
			checkEntries(t, root, "upstart", "/LuoYun")
			installed := snapshot(t, root)
			for k, v := range subtree(installed, "etc") {
				if strings.Contains(v, "/LuoYun/bin/") || strings.Contains(v, "link -> /LuoYun/osmanager.sh") {
					t.Errorf("%s still runs the tree the old way: %s", k, v)
				}
			}
			if installed["etc/init/other.conf"] != before["etc/init/other.conf"] {
				t.Errorf("install.sh touched a foreign job")
			}

			// uninstall.sh removes exactly what install.sh installed: the
			// replaced originals stay gone, all else is as after the upgrade.
			r = runScript(t, nil, filepath.Join(tree, "uninstall.sh"), "--root", root)
			if r.code != 0 || !strings.Contains(r.out, "uninstall success") {
				t.Fatalf("uninstall.sh = exit %d:\n%s", r.code, r.out)
			}
			added, removed := diffKeys(after, snapshot(t, root))
			var wantRemoved []string
			for name := range originalJobs {
				wantRemoved = append(wantRemoved, "etc/init/luoyun/"+name)
			}
			for _, n := range []string{"2", "3", "4", "5"} {
				wantRemoved = append(wantRemoved, "etc/rc"+n+".d/S99luoyun-osmanager")
			}
			sort.Strings(wantRemoved)
			if d := cmp.Diff(wantRemoved, removed); d != "" || len(added) > 0 {
				t.Errorf("after uninstall, removed since the upgrade (-want +got):\n%s\nadded %v", d, added)
			}
		})
	}
}

// TestInstallOriginalJobs: install.sh takes over the original's entries
// for this tree by what they run; a job of that name running anything else
// is still refused without --force; installing for SysV removes the
// original's upstart jobs (they would start the tree a second time).
func TestInstallOriginalJobs(t *testing.T) {
	t.Run("sysv", func(t *testing.T) {
		root := originalRoot(t)
		makeInstallTree(t, filepath.Join(root, "LuoYun"))
		r := runScript(t, nil, filepath.Join(root, "LuoYun/install.sh"), "--root", root, "--init", "sysv")
		if r.code != 0 || !strings.Contains(r.out, "unchanged /etc/rc2.d/S99luoyun-osmanager") || !strings.Contains(r.out, "removed the original's /etc/init/luoyun/webssh.conf") {
			t.Fatalf("install.sh --init sysv over the original = exit %d:\n%s", r.code, r.out)
		}
		if _, err := os.Lstat(filepath.Join(root, "etc/init/luoyun")); !os.IsNotExist(err) {
			t.Errorf("the original's emptied /etc/init/luoyun is still there: %v", err)
		}
		checkEntries(t, root, "sysv", "/LuoYun")
	})
	for name, foreign := range map[string]string{
		"osm.conf":          "start on runlevel [2345]\nexec /usr/local/bin/mydaemon\n",
		"webssh.conf":       "script\n  /LuoYun/bin/webssh/shellinaboxd -p 8001\n  /usr/bin/logger started\nend script\n",
		"customconfig.conf": "pre-start exec /bin/rm -rf /srv\nscript\n  /LuoYun/custom/scripts/config\nend script\n",
		"customweb.conf":    "exec /LuoYun/bin/pyosm/lyosm.py\n",
	} {
		t.Run("foreign "+name, func(t *testing.T) {
			root := originalRoot(t)
			makeInstallTree(t, filepath.Join(root, "LuoYun"))
			writeFile(t, filepath.Join(root, "etc/init/luoyun", name), foreign, 0o644)
			before := snapshot(t, root)
			r := runScript(t, nil, filepath.Join(root, "LuoYun/install.sh"), "--root", root, "--init", "upstart")
			if r.code != 1 || !strings.Contains(r.out, name+" exists and was not installed by install.sh") {
				t.Errorf("install.sh over a foreign %s = exit %d:\n%s", name, r.code, r.out)
			}
			if d := cmp.Diff(before, snapshot(t, root)); d != "" {
				t.Errorf("refused install.sh changed the root:\n%s", d)
			}
			r = runScript(t, nil, filepath.Join(root, "LuoYun/install.sh"), "--root", root, "--init", "upstart", "--force")
			if r.code != 0 {
				t.Errorf("install.sh --force = exit %d:\n%s", r.code, r.out)
			}
		})
	}
}

// TestUpgradeFailure: a failure while staging (the file system is full)
// or at the swap (the tree cannot be moved) leaves the old tree as it
// was, with no stage and no backup left behind (needs root: a small
// tmpfs, an immutable directory).
func TestUpgradeFailure(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (mount, chattr)")
	}
	dist := t.TempDir()
	if r := runScript(t, []string{"MAKEFLAGS="}, makeArgs(t, "stage", "STAGE="+filepath.Join(dist, "LuoYun"))...); r.code != 0 {
		t.Fatalf("make stage = exit %d:\n%s", r.code, r.out)
	}
	upgrade := filepath.Join(dist, "LuoYun/upgrade.sh")

	t.Run("disk full while staging", func(t *testing.T) {
		root := t.TempDir()
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", root).CombinedOutput(); err != nil {
			t.Skipf("mount tmpfs: %v %s", err, out)
		}
		t.Cleanup(func() { exec.Command("umount", root).Run() })
		copyPath(t, originalRoot(t), root)
		before := snapshot(t, root)
		r := runScript(t, nil, upgrade, filepath.Join(root, "LuoYun"))
		if r.code != 1 || !strings.Contains(r.out, "upgrade failed") {
			t.Errorf("upgrade on a full disk = exit %d, want 1:\n%s", r.code, r.out)
		}
		if d := cmp.Diff(before, snapshot(t, root)); d != "" {
			t.Errorf("failed upgrade changed the tree (-before +after):\n%s", d)
		}
	})
	// The tree cannot be swapped (the exchange is refused): nothing changes.
	t.Run("the tree cannot be moved", func(t *testing.T) {
		root := originalRoot(t)
		locked := filepath.Join(root, "LuoYun")
		if out, err := exec.Command("chattr", "+i", locked).CombinedOutput(); err != nil {
			t.Skipf("chattr +i: %v %s", err, out)
		}
		t.Cleanup(func() { exec.Command("chattr", "-i", locked).Run() })
		before := snapshot(t, root)
		r := runScript(t, nil, upgrade, filepath.Join(root, "LuoYun"))
		if r.code != 1 || !strings.Contains(r.out, "upgrade failed") {
			t.Errorf("upgrade with an immovable tree = exit %d, want 1:\n%s", r.code, r.out)
		}
		if d := cmp.Diff(before, snapshot(t, root)); d != "" {
			t.Errorf("failed upgrade left a mix (-before +after):\n%s", d)
		}
	})
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return l[len(l)-1]
}
