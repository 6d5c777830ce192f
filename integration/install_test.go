package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	sysvEntries = []string{
		"etc/init.d/luoyun-osmanager",
		"etc/rc2.d", "etc/rc2.d/S99luoyun-osmanager",
		"etc/rc3.d", "etc/rc3.d/S99luoyun-osmanager",
		"etc/rc4.d", "etc/rc4.d/S99luoyun-osmanager",
		"etc/rc5.d", "etc/rc5.d/S99luoyun-osmanager",
	}
	upstartEntries = []string{
		"etc/init", "etc/init/luoyun",
		"etc/init/luoyun/customconfig.conf", "etc/init/luoyun/customweb.conf",
		"etc/init/luoyun/osconfig.conf", "etc/init/luoyun/osm.conf", "etc/init/luoyun/webssh.conf",
	}
	systemdEntries = []string{
		"etc/systemd", "etc/systemd/system",
		"etc/systemd/system/luoyun-customconfig.service",
		"etc/systemd/system/luoyun-osconfig.service",
		"etc/systemd/system/luoyun-osm.service",
		"etc/systemd/system/luoyun-web.service",
		"etc/systemd/system/luoyun-webssh.service",
		"etc/systemd/system/multi-user.target.wants",
		"etc/systemd/system/multi-user.target.wants/luoyun-customconfig.service",
		"etc/systemd/system/multi-user.target.wants/luoyun-osconfig.service",
		"etc/systemd/system/multi-user.target.wants/luoyun-osm.service",
		"etc/systemd/system/multi-user.target.wants/luoyun-web.service",
		"etc/systemd/system/multi-user.target.wants/luoyun-webssh.service",
	}
)

func entriesFor(kind string) []string {
	switch kind {
	case "sysv":
		return sysvEntries
	case "upstart":
		return upstartEntries
	default:
		return systemdEntries
	}
}

// newRoot makes a target root holding a /LuoYun tree and an etc/ with
// init.d (as every distribution has).
func newRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	makeInstallTree(t, filepath.Join(root, "LuoYun"))
	if err := os.MkdirAll(filepath.Join(root, "etc", "init.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

func sorted(s ...[]string) []string {
	var out []string
	for _, l := range s {
		out = append(out, l...)
	}
	return sortedLines(strings.Join(out, "\n"))
}

// TestInstallUninstall installs for each init flavour (selected with
// --init and with LUOYUN_INIT) into a temp root, checks exactly which
// entries appear, that a second run changes nothing, and that
// uninstall.sh removes exactly them.
func TestInstallUninstall(t *testing.T) {
	for _, sh := range shells(t) {
		for _, kind := range []string{"sysv", "upstart", "systemd"} {
			for _, how := range []string{"flag", "env"} {
				t.Run(shellName(sh)+"/"+kind+"/"+how, func(t *testing.T) {
					root := newRoot(t)
					tree := filepath.Join(root, "LuoYun")
					before := snapshot(t, root)

					argv := append(append([]string{}, sh...), filepath.Join(tree, "install.sh"), "--root", root)
					var env []string
					if how == "flag" {
						argv = append(argv, "--init", kind)
					} else {
						env = []string{"LUOYUN_INIT=" + kind}
					}
					r := runScript(t, env, argv...)
					if r.code != 0 || !strings.Contains(r.out, "install success: "+kind) {
						t.Fatalf("install.sh = exit %d, output:\n%s", r.code, r.out)
					}
					after := snapshot(t, root)
					added, removed := diffKeys(before, after)
					want := sorted(entriesFor(kind), []string{"LuoYun/install.manifest"})
					if d := cmp.Diff(want, added); d != "" {
						t.Errorf("install.sh added (-want +got):\n%s", d)
					}
					if len(removed) > 0 || len(changed(before, after)) > 0 {
						t.Errorf("install.sh removed %v, changed %v", removed, changed(before, after))
					}
					checkEntries(t, root, kind, "/LuoYun")

					// Idempotent: a second run changes nothing at all.
					r = runScript(t, env, argv...)
					if r.code != 0 || strings.Contains(r.out, "installed ") {
						t.Fatalf("second install.sh = exit %d, output:\n%s", r.code, r.out)
					}
					if d := cmp.Diff(after, snapshot(t, root)); d != "" {
						t.Errorf("second install.sh changed the root (-first +second):\n%s", d)
					}

					u := append(append([]string{}, sh...), filepath.Join(tree, "uninstall.sh"), "--root", root)
					r = runScript(t, nil, u...)
					if r.code != 0 || !strings.Contains(r.out, "uninstall success") {
						t.Fatalf("uninstall.sh = exit %d, output:\n%s", r.code, r.out)
					}
					if d := cmp.Diff(before, snapshot(t, root)); d != "" {
						t.Errorf("after uninstall.sh the root differs from before install (-before +after):\n%s", d)
					}
				})
			}
		}
	}
}

// checkEntries checks the content of what install.sh made: links to the
// tree's osmanager.sh, unit files naming the tree.
func checkEntries(t *testing.T, root, kind, dir string) {
	t.Helper()
	for _, e := range entriesFor(kind) {
		p := filepath.Join(root, e)
		info, err := os.Lstat(p)
		if err != nil {
			t.Errorf("%s: %v", e, err)
			continue
		}
		switch {
		case info.IsDir():
		case info.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			want := dir + "/osmanager.sh"
			if kind == "systemd" {
				want = "/etc/systemd/system/" + filepath.Base(e)
			}
			if l != want {
				t.Errorf("%s -> %s, want -> %s", e, l, want)
			}
		default:
			data, _ := os.ReadFile(p)
			if !strings.Contains(string(data), dir+"/osmanager.sh ") {
				t.Errorf("%s does not run %s/osmanager.sh:\n%s", e, dir, data)
			}
			if dir != "/LuoYun" && strings.Contains(string(data), "/LuoYun") {
				t.Errorf("%s still names /LuoYun:\n%s", e, data)
			}
			if info.Mode().Perm() != 0o644 {
				t.Errorf("%s mode %v, want 0644", e, info.Mode().Perm())
			}
		}
	}
}

// TestInstallSwitchFlavour installs for SysV, then for systemd: the SysV
// entries go, and uninstall.sh leaves the root as it was.
func TestInstallSwitchFlavour(t *testing.T) {
	root := newRoot(t)
	tree := filepath.Join(root, "LuoYun")
	before := snapshot(t, root)
	for _, kind := range []string{"sysv", "upstart", "systemd"} {
		r := runScript(t, nil, filepath.Join(tree, "install.sh"), "--root", root, "--init", kind)
		if r.code != 0 {
			t.Fatalf("install.sh --init %s = exit %d:\n%s", kind, r.code, r.out)
		}
		added, removed := diffKeys(before, snapshot(t, root))
		if d := cmp.Diff(sorted(entriesFor(kind), []string{"LuoYun/install.manifest"}), added); d != "" || len(removed) > 0 {
			t.Errorf("after --init %s: added (-want +got):\n%s\nremoved %v", kind, d, removed)
		}
	}
	if r := runScript(t, nil, filepath.Join(tree, "uninstall.sh"), "--root", root); r.code != 0 {
		t.Fatalf("uninstall.sh = exit %d:\n%s", r.code, r.out)
	}
	if d := cmp.Diff(before, snapshot(t, root)); d != "" {
		t.Errorf("root after uninstall (-before +after):\n%s", d)
	}
}

// TestInstallDetect checks which init system install.sh picks for target
// roots that look like each kind of system.
func TestInstallDetect(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, root string)
		want  string
	}{
		{"systemd /sbin/init link", func(t *testing.T, root string) {
			mkdirs(t, root, "sbin", "lib/systemd")
			writeFile(t, filepath.Join(root, "lib/systemd/systemd"), "", 0o755)
			symlink(t, "/lib/systemd/systemd", filepath.Join(root, "sbin/init"))
		}, "systemd"},
		{"systemd without /sbin/init", func(t *testing.T, root string) {
			mkdirs(t, root, "usr/lib/systemd")
			writeFile(t, filepath.Join(root, "usr/lib/systemd/systemd"), "", 0o755)
		}, "systemd"},
		{"upstart", func(t *testing.T, root string) {
			mkdirs(t, root, "sbin", "etc/init")
			writeFile(t, filepath.Join(root, "sbin/init"), "", 0o755)
			writeFile(t, filepath.Join(root, "sbin/initctl"), "", 0o755)
		}, "upstart"},
		{"sysvinit with systemd installed but not init", func(t *testing.T, root string) {
			mkdirs(t, root, "sbin", "lib/systemd")
			writeFile(t, filepath.Join(root, "sbin/init"), "", 0o755)
			writeFile(t, filepath.Join(root, "lib/systemd/systemd"), "", 0o755)
		}, "sysv"},
		{"busybox init", func(t *testing.T, root string) {
			mkdirs(t, root, "sbin", "bin")
			writeFile(t, filepath.Join(root, "bin/busybox"), "", 0o755)
			symlink(t, "/bin/busybox", filepath.Join(root, "sbin/init"))
		}, "sysv"},
		{"empty", func(t *testing.T, root string) {}, "sysv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newRoot(t)
			tt.setup(t, root)
			r := runScript(t, []string{"LUOYUN_INIT="}, filepath.Join(root, "LuoYun/install.sh"), "--root", root)
			if r.code != 0 || !strings.Contains(r.out, "install success: "+tt.want+",") {
				t.Errorf("install.sh on %s = exit %d, want success for %s; output:\n%s", tt.name, r.code, tt.want, r.out)
			}
		})
	}
}

// TestInstallTreeElsewhere installs a tree that is not at /LuoYun: the
// init files name the tree's real place.
func TestInstallTreeElsewhere(t *testing.T) {
	for _, kind := range []string{"sysv", "upstart", "systemd"} {
		t.Run(kind, func(t *testing.T) {
			root := t.TempDir()
			tree := filepath.Join(root, "opt", "luoyun")
			makeInstallTree(t, tree)
			r := runScript(t, nil, filepath.Join(tree, "install.sh"), "--root", root, "--init", kind)
			if r.code != 0 {
				t.Fatalf("install.sh = exit %d:\n%s", r.code, r.out)
			}
			checkEntries(t, root, kind, "/opt/luoyun")
		})
	}
	t.Run("outside the root", func(t *testing.T) {
		tree := filepath.Join(t.TempDir(), "LuoYun")
		makeInstallTree(t, tree)
		root := t.TempDir()
		before := snapshot(t, root)
		r := runScript(t, nil, filepath.Join(tree, "install.sh"), "--root", root, "--init", "sysv")
		if r.code != 1 || !strings.Contains(r.out, "install failed:") {
			t.Errorf("install.sh with the tree outside the root = exit %d, want 1 and a failure line:\n%s", r.code, r.out)
		}
		if d := cmp.Diff(before, snapshot(t, root)); d != "" {
			t.Errorf("failed install.sh changed the root:\n%s", d)
		}
	})
}

// TestInstallForeignEntry: an entry in the way that install.sh did not
// make is refused (nothing changes) unless --force; one identical to ours
// (left by the original install.sh) is taken over.
func TestInstallForeignEntry(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		root := newRoot(t)
		mkdirs(t, root, "etc/rc3.d")
		symlink(t, "/etc/init.d/something", filepath.Join(root, "etc/rc3.d/S99luoyun-osmanager"))
		before := snapshot(t, root)
		r := runScript(t, nil, filepath.Join(root, "LuoYun/install.sh"), "--root", root, "--init", "sysv")
		if r.code != 1 || !strings.Contains(r.out, "install failed:") || !strings.Contains(r.out, "rc3.d") {
			t.Errorf("install.sh over a foreign link = exit %d, want 1 naming rc3.d:\n%s", r.code, r.out)
		}
		if d := cmp.Diff(before, snapshot(t, root)); d != "" {
			t.Errorf("refused install.sh changed the root:\n%s", d)
		}
		r = runScript(t, nil, filepath.Join(root, "LuoYun/install.sh"), "--root", root, "--init", "sysv", "--force")
		if r.code != 0 {
			t.Fatalf("install.sh --force = exit %d:\n%s", r.code, r.out)
		}
		checkEntries(t, root, "sysv", "/LuoYun")
	})
	t.Run("adopted", func(t *testing.T) {
		root := newRoot(t)
		mkdirs(t, root, "etc/rc2.d")
		symlink(t, "/LuoYun/osmanager.sh", filepath.Join(root, "etc/rc2.d/S99luoyun-osmanager"))
		r := runScript(t, nil, filepath.Join(root, "LuoYun/install.sh"), "--root", root, "--init", "sysv")
		if r.code != 0 || !strings.Contains(r.out, "unchanged /etc/rc2.d/S99luoyun-osmanager") {
			t.Errorf("install.sh over the original's link = exit %d:\n%s", r.code, r.out)
		}
	})
}

// TestUninstallLegacy: a tree installed by the original scripts has no
// manifest; uninstall.sh removes only the rc links to its osmanager.sh.
func TestUninstallLegacy(t *testing.T) {
	root := newRoot(t)
	mkdirs(t, root, "etc/rc2.d", "etc/rc3.d", "etc/rc4.d", "etc/rc5.d", "etc/init/luoyun")
	for _, n := range []string{"2", "4", "5"} {
		symlink(t, "/LuoYun/osmanager.sh", filepath.Join(root, "etc/rc"+n+".d/S99luoyun-osmanager"))
	}
	symlink(t, "/usr/local/other.sh", filepath.Join(root, "etc/rc3.d/S99luoyun-osmanager"))
	writeFile(t, filepath.Join(root, "etc/init/luoyun/osm.conf"), "old\n", 0o644)
	before := snapshot(t, root)
	r := runScript(t, nil, filepath.Join(root, "LuoYun/uninstall.sh"), "--root", root)
	if r.code != 0 {
		t.Fatalf("uninstall.sh = exit %d:\n%s", r.code, r.out)
	}
	added, removed := diffKeys(before, snapshot(t, root))
	want := []string{"etc/rc2.d/S99luoyun-osmanager", "etc/rc4.d/S99luoyun-osmanager", "etc/rc5.d/S99luoyun-osmanager"}
	if d := cmp.Diff(want, removed); d != "" || len(added) > 0 {
		t.Errorf("legacy uninstall removed (-want +got):\n%s\nadded %v", d, added)
	}
}

// bareChroot makes a system root holding busybox (Debian's static one)
// and a /LuoYun tree with real copies of the binaries under test, and no
// /dev, /tmp or /proc: what an image builder may have (needs root).
func bareChroot(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root")
	}
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox (Debian busybox-static) not installed")
	}
	if out, err := exec.Command("ldd", bb).CombinedOutput(); err == nil && !strings.Contains(string(out), "not a dynamic") {
		t.Skipf("%s is not static: %s", bb, out)
	}
	root := t.TempDir()
	makeTree(t, filepath.Join(root, "LuoYun"))
	copyPath(t, binDir(t), filepath.Join(root, "LuoYun/bin"))
	mkdirs(t, root, "etc/init.d", "bin", "sbin", "usr/bin", "usr/sbin")
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "bin/busybox"), string(data), 0o755)
	if out, err := exec.Command("chroot", root, "/bin/busybox", "--install", "-s").CombinedOutput(); err != nil {
		t.Fatalf("busybox --install: %v\n%s", err, out)
	}
	for _, d := range []string{"dev", "tmp", "proc"} {
		if _, err := os.Lstat(filepath.Join(root, d)); err == nil {
			t.Fatalf("the chroot has /%s", d)
		}
	}
	return root
}

// TestInstallChroot runs install.sh, uninstall.sh and upgrade.sh inside a
// bare chroot, as an image builder would: nothing but busybox, no /dev,
// no /tmp. Nothing may say "can't create /dev/null".
func TestInstallChroot(t *testing.T) {
	root := bareChroot(t)
	before := snapshot(t, root)
	run := func(argv ...string) string {
		t.Helper()
		out, err := exec.Command("chroot", append([]string{root}, argv...)...).CombinedOutput()
		if err != nil || strings.Contains(string(out), "/dev/null") || strings.Contains(string(out), "temporary") {
			t.Fatalf("%v in a chroot: %v\n%s", argv, err, out)
		}
		return string(out)
	}
	if out := run("/LuoYun/install.sh"); !strings.Contains(out, "install success: sysv") {
		t.Fatalf("install.sh in a chroot:\n%s", out)
	}
	added, _ := diffKeys(before, snapshot(t, root))
	if d := cmp.Diff(sorted(sysvEntries, []string{"LuoYun/install.manifest"}), added); d != "" {
		t.Errorf("install.sh in a chroot added (-want +got):\n%s", d)
	}
	checkEntries(t, root, "sysv", "/LuoYun")
	if out := run("/LuoYun/uninstall.sh"); !strings.Contains(out, "uninstall success") {
		t.Fatalf("uninstall.sh in a chroot:\n%s", out)
	}
	if d := cmp.Diff(before, snapshot(t, root)); d != "" {
		t.Errorf("chroot after uninstall (-before +after):\n%s", d)
	}

	// upgrade.sh of a new tree unpacked in the image, over /LuoYun.
	copyPath(t, filepath.Join(root, "LuoYun"), filepath.Join(root, "new"))
	copyPath(t, filepath.Join(repoRoot(t), "upgrade.sh"), filepath.Join(root, "new/upgrade.sh"))
	writeFile(t, filepath.Join(root, "LuoYun/osmanager.sh"), "#!/bin/sh\n# old\n", 0o755)
	os.Remove(filepath.Join(root, "LuoYun/custom/osmanager.toml"))
	out := run("/new/upgrade.sh", "/LuoYun")
	if !strings.Contains(out, "replaced osmanager.sh") || !strings.Contains(out, "upgrade success: /LuoYun, backup /LuoYun/backup-") ||
		!strings.Contains(out, "settings in /LuoYun/custom/osmanager.toml") {
		t.Fatalf("upgrade.sh in a chroot:\n%s", out)
	}
	if got := snapshot(t, filepath.Join(root, "LuoYun"))["osmanager.sh"]; got != snapshot(t, filepath.Join(root, "new"))["osmanager.sh"] {
		t.Errorf("osmanager.sh after the upgrade: %s", got)
	}
	if out := run("/new/upgrade.sh", "--root", "/"); !strings.Contains(out, "upgrade success: /LuoYun unchanged") {
		t.Errorf("second upgrade.sh in a chroot:\n%s", out)
	}
}

// TestSystemdUnitsVerify runs systemd-analyze verify on the units with
// /LuoYun pointed at the repository; it must have nothing to say.
func TestSystemdUnitsVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	repo := repoRoot(t)
	dir := t.TempDir()
	units, _ := filepath.Glob(filepath.Join(repo, "init/systemd/*.service"))
	if len(units) != 5 {
		t.Fatalf("found %d units, want 5: %v", len(units), units)
	}
	var names []string
	for _, u := range units {
		data, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, filepath.Base(u)), strings.ReplaceAll(string(data), "/LuoYun", repo), 0o644)
		names = append(names, "./"+filepath.Base(u))
	}
	cmd := exec.Command(sa, append([]string{"verify"}, names...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestInitFiles checks the start conditions and supervision of every
// upstart job and systemd unit against the contract.
func TestInitFiles(t *testing.T) {
	repo := repoRoot(t)
	tests := []struct {
		file string
		want []string
	}{
		{"init/luoyun/osconfig.conf", []string{"start on stopped rc RUNLEVEL=[345]", "task", "exec /LuoYun/osmanager.sh osconfig"}},
		{"init/luoyun/customconfig.conf", []string{"start on stopped luoyun/osconfig", "task", "exec /LuoYun/osmanager.sh customconfig"}},
		{"init/luoyun/customweb.conf", []string{"start on stopped luoyun/osconfig", "respawn", "exec /LuoYun/osmanager.sh exec web"}},
		{"init/luoyun/osm.conf", []string{"start on stopped luoyun/osconfig", "respawn", "exec /LuoYun/osmanager.sh exec osm"}},
		{"init/luoyun/webssh.conf", []string{"start on stopped luoyun/osconfig", "respawn", "normal exit 0", "exec /LuoYun/osmanager.sh exec webssh"}},
		{"init/systemd/luoyun-osconfig.service", []string{"Type=oneshot", "Before=ssh.service sshd.service", "RemainAfterExit=yes", "ExecStart=/LuoYun/osmanager.sh osconfig", "WantedBy=multi-user.target"}},
		{"init/systemd/luoyun-customconfig.service", []string{"Type=oneshot", "After=luoyun-osconfig.service", "ConditionFileIsExecutable=/LuoYun/custom/scripts/config", "ExecStart=/LuoYun/osmanager.sh customconfig"}},
		{"init/systemd/luoyun-web.service", []string{"After=luoyun-osconfig.service luoyun-customconfig.service", "Restart=always", "ExecStart=/LuoYun/osmanager.sh exec web"}},
		{"init/systemd/luoyun-webssh.service", []string{"After=luoyun-osconfig.service luoyun-customconfig.service", "Restart=always", "RestartPreventExitStatus=0", "ExecStart=/LuoYun/osmanager.sh exec webssh"}},
		{"init/systemd/luoyun-osm.service", []string{"After=luoyun-osconfig.service luoyun-customconfig.service", "Restart=always", "ExecStart=/LuoYun/osmanager.sh exec osm"}},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join(repo, tt.file))
		if err != nil {
			t.Error(err)
			continue
		}
		lines := map[string]bool{}
		for _, l := range strings.Split(string(data), "\n") {
			lines[strings.TrimSpace(l)] = true
		}
		for _, w := range tt.want {
			if !lines[w] {
				t.Errorf("%s lacks the line %q", tt.file, w)
			}
		}
	}
}

func mkdirs(t *testing.T, root string, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// TestInstallRootConfined: links inside the target root are followed as a
// chroot would, so an absolute link (IMG/etc/systemd -> /abs) or one that
// climbs with ".." lands inside the root: install.sh and uninstall.sh never
// touch the host's copy of that path.
func TestInstallRootConfined(t *testing.T) {
	tests := []struct {
		kind, link string
		target     func(outside string) string
	}{
		{"systemd", "etc/systemd", func(o string) string { return o }},
		{"upstart", "etc/init", func(o string) string { return strings.Repeat("../", 30) + strings.TrimPrefix(o, "/") }},
		{"sysv", "etc/rc3.d", func(o string) string { return o }},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			outside := t.TempDir() // on the host: must stay empty
			root := newRoot(t)
			tree := filepath.Join(root, "LuoYun")
			symlink(t, tt.target(outside), filepath.Join(root, tt.link))
			mkdirs(t, root, outside) // the link's target as the image sees it
			r := runScript(t, nil, filepath.Join(tree, "install.sh"), "--root", root, "--init", tt.kind)
			if r.code != 0 || !strings.Contains(r.out, "install success") {
				t.Fatalf("install.sh = exit %d:\n%s", r.code, r.out)
			}
			if got := snapshot(t, outside); len(got) > 0 {
				t.Errorf("install.sh wrote outside the root, in %s: %v", outside, got)
			}
			// The entries are where the image sees them: root + outside.
			var found bool
			filepath.WalkDir(filepath.Join(root, outside), func(p string, d os.DirEntry, err error) error {
				if err == nil && strings.Contains(d.Name(), "luoyun") {
					found = true
				}
				return nil
			})
			if !found {
				t.Errorf("no entry under %s inside the root:\n%s", outside, r.out)
			}
			r = runScript(t, nil, filepath.Join(tree, "uninstall.sh"), "--root", root)
			if r.code != 0 || !strings.Contains(r.out, "uninstall success") {
				t.Fatalf("uninstall.sh = exit %d:\n%s", r.code, r.out)
			}
			// A planted host file of the same name is never removed.
			mkdirs(t, outside, "system")
			writeFile(t, filepath.Join(outside, "system/luoyun-osm.service"), "host's\n", 0o644)
			writeFile(t, filepath.Join(outside, "S99luoyun-osmanager"), "host's\n", 0o644)
			if r = runScript(t, nil, filepath.Join(tree, "install.sh"), "--root", root, "--init", tt.kind); r.code != 0 {
				t.Fatalf("install.sh again = exit %d:\n%s", r.code, r.out)
			}
			if r = runScript(t, nil, filepath.Join(tree, "uninstall.sh"), "--root", root); r.code != 0 {
				t.Fatalf("uninstall.sh again = exit %d:\n%s", r.code, r.out)
			}
			for _, f := range []string{"system/luoyun-osm.service", "S99luoyun-osmanager"} {
				if data, err := os.ReadFile(filepath.Join(outside, f)); err != nil || string(data) != "host's\n" {
					t.Errorf("host file %s: %q, %v", f, data, err)
				}
			}
		})
	}
}

// makeInstallTree is makeTree with bin/ holding links to the binaries
// under test: install.sh and uninstall.sh hand over to bin/osc.
func makeInstallTree(t *testing.T, dir string) {
	t.Helper()
	makeTree(t, dir)
	mkdirs(t, dir, "bin")
	bin := binDir(t)
	for _, b := range binaries {
		p := filepath.Join(dir, "bin", b)
		os.RemoveAll(p)
		symlink(t, filepath.Join(bin, b), p)
	}
}

// TestInstallSettingsFile: install.sh writes custom/osmanager.toml as
// shipped into a tree that has none, and never touches an existing one.
func TestInstallSettingsFile(t *testing.T) {
	root := newRoot(t)
	tree := filepath.Join(root, "LuoYun")
	toml := filepath.Join(tree, "custom/osmanager.toml")
	os.Remove(toml)
	r := runScript(t, nil, filepath.Join(tree, "install.sh"), "--root", root, "--init", "sysv")
	if r.code != 0 || !strings.Contains(r.out, "created "+toml) {
		t.Fatalf("install.sh = exit %d, want a created line:\n%s", r.code, r.out)
	}
	got, _ := os.ReadFile(toml)
	shipped, _ := os.ReadFile(filepath.Join(repoRoot(t), "custom/osmanager.toml"))
	if string(got) != string(shipped) {
		t.Errorf("custom/osmanager.toml is not the shipped one")
	}
	writeFile(t, toml, "[web]\nport = 8081\n", 0o600)
	if r := runScript(t, nil, filepath.Join(tree, "install.sh"), "--root", root, "--init", "systemd"); r.code != 0 || strings.Contains(r.out, "created") {
		t.Fatalf("install.sh again = exit %d:\n%s", r.code, r.out)
	}
	if got, _ := os.ReadFile(toml); string(got) != "[web]\nport = 8081\n" {
		t.Errorf("install.sh touched the builder's settings file: %q", got)
	}
}
