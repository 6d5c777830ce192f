package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/luoyun/osmanager/internal/testbin"
)

// runBin runs path with argv0 as its argv[0] and returns stdout, stderr
// and the exit status.
func runBin(t *testing.T, path, argv0 string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Args[0] = argv0
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run %s: %v", path, err)
		}
		code = ee.ExitCode()
	}
	return out.String(), errb.String(), code
}

// TestMulticallCommands: each link of the one-binary flavour is its
// command, answering --help, --version and a bad option as the separate
// binary does; run under its own name, the first argument names the
// command; any other name is a usage error.
func TestMulticallCommands(t *testing.T) {
	mc, five := multicallDir(t), binDir(t)
	for _, c := range binaries {
		link := filepath.Join(mc, c)
		if target, err := os.Readlink(link); err != nil || target != testbin.MulticallName {
			t.Fatalf("%s: link to %q (%v), want one to %s", link, target, err, testbin.MulticallName)
		}
		for _, args := range [][]string{{"--help"}, {"--no-such-option"}, {"unexpected", "words", "--config=/nonexistent"}} {
			o1, e1, c1 := runBin(t, link, link, "", args...)
			o5, e5, c5 := runBin(t, filepath.Join(five, c), filepath.Join(five, c), "", args...)
			if o1 != o5 || e1 != e5 || c1 != c5 {
				t.Errorf("%s %q: one binary gave exit %d %q %q, five binaries exit %d %q %q", c, args, c1, o1, e1, c5, o5, e5)
			}
		}
		out, _, code := runBin(t, link, link, "", "--version")
		if code != 0 || !strings.HasPrefix(out, c+" ") {
			t.Errorf("%s --version = exit %d %q", c, code, out)
		}
		// Under its own name: luoyun NAME ARGS.
		own := filepath.Join(mc, testbin.MulticallName)
		if o, _, code := runBin(t, own, own, "", c, "--version"); code != 0 || o != out {
			t.Errorf("luoyun %s --version = exit %d %q, want %q", c, code, o, out)
		}
	}
	own := filepath.Join(mc, testbin.MulticallName)
	for _, tt := range []struct {
		argv0 string
		args  []string
		want  string
	}{
		{own, nil, "usage: luoyun COMMAND"},
		{own, []string{"sh"}, `unknown command "sh"`},
		{"/usr/bin/frob", nil, `"frob" is no command of this binary`},
	} {
		_, e, code := runBin(t, own, tt.argv0, "", tt.args...)
		if code != 2 || !strings.Contains(e, tt.want) {
			t.Errorf("argv %s %q = exit %d %q, want exit 2 and %q", tt.argv0, tt.args, code, e, tt.want)
		}
	}
}

// TestMulticallLoginFront: webssh runs its login front as
// "SELF login", and SELF, resolved from /proc/self/exe, is bin/luoyun in
// the one-binary flavour; run so it asks for the user name as webssh's
// own front does.
func TestMulticallLoginFront(t *testing.T) {
	mc, five := multicallDir(t), binDir(t)
	own := filepath.Join(mc, testbin.MulticallName)
	o1, _, c1 := runBin(t, own, own, "", "webssh", "login")
	o5, _, c5 := runBin(t, filepath.Join(five, "webssh"), filepath.Join(five, "webssh"), "", "login")
	if !strings.Contains(o1, " login: ") || o1 != o5 || c1 != c5 {
		t.Errorf("luoyun webssh login = exit %d %q; webssh login = exit %d %q", c1, o1, c5, o5)
	}
}

// mcMakeArgs runs make in the repository with the built multicall binary
// and the five binaries, so that nothing is rebuilt.
func mcMakeArgs(t *testing.T, args ...string) []string {
	t.Helper()
	return append(makeArgs(t, "MCBIN="+filepath.Join(multicallDir(t), testbin.MulticallName)), args...)
}

// TestMulticallInstall: make install MULTICALL=1 lays out bin/ as luoyun
// and five relative links to it, the rest of the tree as make install
// does; the components run from it; upgrading to five binaries and back
// moves the old bin/ to the backup each time; install.sh and uninstall.sh
// on that tree add and remove exactly the boot entries.
func TestMulticallInstall(t *testing.T) {
	root := t.TempDir()
	tree := filepath.Join(root, "LuoYun")
	install := func(multicall bool) result {
		t.Helper()
		args := []string{"install", "DESTDIR=" + root}
		if multicall {
			args = append(args, "MULTICALL=1")
		}
		r := runScript(t, []string{"MAKEFLAGS="}, mcMakeArgs(t, args...)...)
		if r.code != 0 {
			t.Fatalf("make %q = exit %d:\n%s", args, r.code, r.out)
		}
		return r
	}
	checkBin := func(multicall bool) {
		t.Helper()
		want := map[string]string{}
		got := map[string]string{}
		for k, v := range snapshot(t, filepath.Join(tree, "bin")) {
			if f := strings.Fields(v); f[0] == "file" {
				v = "file " + f[1] // content aside
			}
			got[k] = v
		}
		for _, b := range binaries {
			if multicall {
				want[b] = "link -> " + testbin.MulticallName
			} else {
				want[b] = "file -rwxr-xr-x"
			}
		}
		if multicall {
			want[testbin.MulticallName] = "file -rwxr-xr-x"
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("bin/ (-want +got):\n%s", d)
		}
		for _, b := range binaries {
			if out, _, code := runBin(t, filepath.Join(tree, "bin", b), filepath.Join(tree, "bin", b), "", "--version"); code != 0 || !strings.HasPrefix(out, b+" ") {
				t.Errorf("installed %s --version = exit %d %q", b, code, out)
			}
		}
	}

	install(true)
	checkBin(true)
	// Everything but bin/ is what make install lays out.
	want := wantTree(t)
	got := treeModes(t, root)
	for k := range got {
		if strings.HasPrefix(k, "LuoYun/bin/") {
			delete(got, k)
		}
	}
	for k := range want {
		if strings.HasPrefix(k, "LuoYun/bin/") {
			delete(want, k)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("installed tree outside bin/ (-want +got):\n%s", d)
	}

	// Boot entries: install.sh and uninstall.sh on the one-binary tree.
	mustMkdir(t, filepath.Join(root, "etc/init.d"))
	before := snapshot(t, root)
	if r := runScript(t, nil, filepath.Join(tree, "install.sh"), "--root", root, "--init", "systemd"); r.code != 0 {
		t.Fatalf("install.sh = exit %d:\n%s", r.code, r.out)
	}
	added, removed := diffKeys(before, snapshot(t, root))
	if d := cmp.Diff(sorted(systemdEntries, []string{"LuoYun/install.manifest"}), added); d != "" || len(removed) > 0 {
		t.Errorf("install.sh added (-want +got):\n%s\nremoved %v", d, removed)
	}
	if r := runScript(t, nil, filepath.Join(tree, "uninstall.sh"), "--root", root); r.code != 0 {
		t.Fatalf("uninstall.sh = exit %d:\n%s", r.code, r.out)
	}
	if d := cmp.Diff(before, snapshot(t, root)); d != "" {
		t.Errorf("after uninstall.sh (-before +after):\n%s", d)
	}

	// Upgrade to five binaries, and back: the old bin/ goes to the backup.
	for _, multicall := range []bool{false, true} {
		oldBin := snapshot(t, filepath.Join(tree, "bin"))
		r := install(multicall)
		checkBin(multicall)
		m := backupLine.FindStringSubmatch(r.out)
		if m == nil || !strings.Contains(r.out, "replaced bin") {
			t.Fatalf("make install (multicall %v) replaced no bin/:\n%s", multicall, r.out)
		}
		if d := cmp.Diff(oldBin, snapshot(t, filepath.Join(m[1], "bin"))); d != "" {
			t.Errorf("backup bin/ (-old +backup):\n%s", d)
		}
	}
}

// TestMulticallDist: make dist MULTICALL=1 packs bin/luoyun and the five
// links, and the tarball's upgrade.sh lays out a tree whose commands run.
func TestMulticallDist(t *testing.T) {
	dist := t.TempDir()
	if r := runScript(t, []string{"MAKEFLAGS="}, mcMakeArgs(t, "dist", "MULTICALL=1", "DISTDIR="+dist)...); r.code != 0 {
		t.Fatalf("make dist MULTICALL=1 = exit %d:\n%s", r.code, r.out)
	}
	tars, _ := filepath.Glob(filepath.Join(dist, "luoyun-osmanager-*.tar.gz"))
	if len(tars) != 1 {
		t.Fatalf("make dist made %v, want one tarball", tars)
	}
	unpacked := t.TempDir()
	if out, err := exec.Command("tar", "-C", unpacked, "-xzf", tars[0]).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	for _, b := range binaries {
		if target, err := os.Readlink(filepath.Join(unpacked, "LuoYun/bin", b)); err != nil || target != testbin.MulticallName {
			t.Errorf("tarball bin/%s: link to %q (%v), want one to %s", b, target, err, testbin.MulticallName)
		}
	}
	dest := filepath.Join(t.TempDir(), "LuoYun")
	if r := runScript(t, nil, filepath.Join(unpacked, "LuoYun/upgrade.sh"), dest); r.code != 0 {
		t.Fatalf("upgrade.sh = exit %d:\n%s", r.code, r.out)
	}
	for _, b := range binaries {
		p := filepath.Join(dest, "bin", b)
		if target, err := os.Readlink(p); err != nil || target != testbin.MulticallName {
			t.Errorf("upgraded bin/%s: link to %q (%v)", b, target, err)
		}
		if out, _, code := runBin(t, p, p, "", "--version"); code != 0 || !strings.HasPrefix(out, b+" ") {
			t.Errorf("upgraded %s --version = exit %d %q", b, code, out)
		}
	}
}
