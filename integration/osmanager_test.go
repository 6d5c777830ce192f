package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeTree makes a tree whose bin/ holds shell stand-ins for the five
// binaries. Each records "name args..." in <tree>/calls ("osc boot",
// which runs the chain, is the real osc's: bin/floppyconf and bin/osc
// being scripts, it runs them as processes). floppyconf and
// osc fail when FAKE_FAIL names them; floppyconf writes a luoyun.conf;
// the daemons (fakeDaemon) say they are up and run until SIGTERM, or
// fail at once when FAKE_DIE names them.
func fakeTree(t *testing.T) string {
	t.Helper()
	tree := filepath.Join(t.TempDir(), "LuoYun")
	makeTree(t, tree)
	mkdirs(t, tree, "bin")
	for _, name := range []string{"floppyconf", "osc"} {
		writeFile(t, filepath.Join(tree, "bin", name), `#!/bin/sh
[ "`+name+` $1" = "osc boot" ] && exec "`+filepath.Join(binDir(t), "osc")+`" "$@"
echo "`+name+` $*" >>"$LUOYUN_DIR/calls"
case " $FAKE_FAIL " in *" `+name+` "*) echo "`+name+`: no luck" >&2; exit 1 ;; esac
if [ `+name+` = floppyconf ]; then printf 'TAG=7\nKEY=0123456789\n' >"$LUOYUN_DIR/conf/luoyun.conf"; echo updated; fi
if [ `+name+` = osc ]; then echo "shadow: changed"; echo "network: skipped: --no-network"; fi
exit 0
`, 0o755)
	}
	// The daemons: internal/testbin/fakedaemon under their names; bin/osm
	// runs the real osm for its verbs (status, stop).
	fake := fakeDaemon(t)
	mkdirs(t, tree, "fake")
	for _, name := range []string{"web", "webssh", "osm"} {
		symlink(t, fake, filepath.Join(tree, "fake", name))
		target := filepath.Join(tree, "fake", name)
		if name != "osm" {
			symlink(t, target, filepath.Join(tree, "bin", name))
			continue
		}
		writeFile(t, filepath.Join(tree, "bin", name), `#!/bin/sh
case $1 in status | stop) exec "`+filepath.Join(binDir(t), "osm")+`" "$@" ;; esac
exec "`+target+`" "$@"
`, 0o755)
	}
	t.Cleanup(func() { runScript(t, nil, filepath.Join(tree, "osmanager.sh"), "stop") })
	return tree
}

var fakeDaemonOnce struct {
	sync.Once
	path string
	err  error
}

// fakeDaemon builds internal/testbin/fakedaemon once and returns its path.
func fakeDaemon(t testing.TB) string {
	t.Helper()
	f := &fakeDaemonOnce
	f.Do(func() {
		dir, err := os.MkdirTemp("", "fakedaemon")
		if err != nil {
			f.err = err
			return
		}
		f.path = filepath.Join(dir, "fakedaemon")
		cmd := exec.Command("go", "build", "-o", f.path, "./internal/testbin/fakedaemon")
		cmd.Dir = repoRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			f.err = fmt.Errorf("go build fakedaemon: %v\n%s", err, out)
		}
	})
	if f.err != nil {
		t.Fatal(f.err)
	}
	return f.path
}

func readCalls(t *testing.T, tree string) []string {
	data, err := os.ReadFile(filepath.Join(tree, "calls"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// waitCalls waits until n calls have been recorded (the daemons record
// theirs after osmanager.sh has returned).
func waitCalls(t *testing.T, tree string, n int) []string {
	t.Helper()
	var calls []string
	waitFor(5*time.Second, func() bool { calls = readCalls(t, tree); return len(calls) >= n })
	return calls
}

// TestOsmanagerChain starts the whole chain through an rc-style symlink
// in another directory: the script finds its tree, runs each step in
// order with explicit paths, logs each with its outcome on stdout and in
// log/osmanager.log, and starts the three daemons.
func TestOsmanagerChain(t *testing.T) {
	for _, sh := range shells(t) {
		t.Run(shellName(sh), func(t *testing.T) {
			tree := fakeTree(t)
			root := t.TempDir()
			writeFile(t, filepath.Join(tree, "custom/scripts/config"), "#!/bin/sh\necho \"config $LUOYUN_DIR $LUOYUN_ROOT $(pwd)\" >>\"$LUOYUN_DIR/calls\"\necho configured\n", 0o755)
			rc := filepath.Join(t.TempDir(), "rc2.d")
			mkdirs(t, rc, ".")
			link := filepath.Join(rc, "S99luoyun-osmanager")
			symlink(t, filepath.Join(tree, "osmanager.sh"), link)

			argv := append(append([]string{}, sh...), link, "start")
			if sh[0] == "/bin/sh" {
				argv = []string{link, "start"} // through the shebang, as init does
			}
			r := runScript(t, []string{"LUOYUN_DIR=", "LUOYUN_ROOT=" + root, "LUOYUN_NO_NETWORK=1", "LUOYUN_FLOPPY=/dev/fd9",
				"LUOYUN_WEB_PORT=", "LUOYUN_WEBSSH_PORT=", "LUOYUN_LISTEN_ADDR=127.0.0.1", "FAKE_FAIL="}, argv...)
			if r.code != 0 {
				t.Fatalf("osmanager.sh start = exit %d:\n%s", r.code, r.out)
			}
			conf := tree + "/conf/luoyun.conf"
			set := tree + "/custom/osmanager.toml"
			want := []string{
				"floppyconf -c " + conf + " -d /dev/fd9 --settings " + set,
				"osc -c " + conf + " --root " + root + " --previous-tag  --no-network --settings " + set, // no luoyun.conf before: no TAG
				"config " + tree + " " + root + " " + tree,
			}
			daemons := []string{
				"osm -c " + conf + " -l " + tree + "/log/luoyun.log -s " + tree + "/custom/scripts --state " + tree + "/run/osm.json --settings " + set,
				"web -c " + conf + " -l " + tree + "/log/lyweb.log -w " + tree + "/custom/www --build " + tree + "/build --state " + tree + "/run/osm.json --listen-addr 127.0.0.1 --settings " + set,
				"webssh -c " + conf + " -l " + tree + "/log/webssh.log --listen-addr 127.0.0.1 --settings " + set,
			}
			calls := waitCalls(t, tree, 6)
			if d := cmp.Diff(want, calls[:min(3, len(calls))]); d != "" {
				t.Errorf("steps (-want +got):\n%s", d)
			}
			if d := cmp.Diff(daemons, sortedLines(strings.Join(calls[min(3, len(calls)):], "\n"))); d != "" {
				t.Errorf("daemons (-want +got):\n%s", d)
			}
			logData, _ := os.ReadFile(filepath.Join(tree, "log/osmanager.log"))
			for _, w := range []string{"[INFO] floppy: updated", "[INFO] osc: shadow: changed", "[INFO] osc: done",
				"[INFO] config: configured", "[INFO] config: done", "[INFO] web: started (pid ", "[INFO] webssh: started (pid ",
				"[INFO] osm: started (pid ", "[INFO] osmanager: started"} {
				if !strings.Contains(r.out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.out)
				}
				if !strings.Contains(string(logData), w) {
					t.Errorf("osmanager.log lacks %q:\n%s", w, logData)
				}
			}
			if info, err := os.Stat(filepath.Join(tree, "conf")); err != nil || info.Mode().Perm() != 0o700 {
				t.Errorf("conf/ = %v, %v; want mode 0700", info.Mode(), err)
			}
			checkStatus(t, tree, 0, "web: running", "webssh: running", "osm: running")
		})
	}
}

// checkStatus runs "osmanager.sh status" and checks exit code and lines.
func checkStatus(t *testing.T, tree string, code int, want ...string) {
	t.Helper()
	r := runScript(t, nil, filepath.Join(tree, "osmanager.sh"), "status")
	if r.code != code {
		t.Errorf("osmanager.sh status = exit %d, want %d:\n%s", r.code, code, r.out)
	}
	for _, w := range want {
		if !strings.Contains(r.out, w) {
			t.Errorf("osmanager.sh status lacks %q:\n%s", w, r.out)
		}
	}
}

// TestOsmanagerFailures: a failing step is reported and the rest still
// runs where that makes sense.
func TestOsmanagerFailures(t *testing.T) {
	tests := []struct {
		name     string
		fail     string
		haveConf bool
		noBin    string
		code     int
		logged   []string
		calls    []string // the program names called, in order
	}{
		{"floppy fails, existing conf", "floppyconf", true, "", 0,
			[]string{"[WARN] floppy: no luck", "[WARN] floppy: failed (exit 1); going on with the existing", "[INFO] osc: done", "[INFO] osm: started"},
			[]string{"floppyconf", "osc", "osm", "web", "webssh"}},
		{"floppy fails, no conf", "floppyconf", false, "", 1,
			[]string{"[ERROR] floppy: failed (exit 1) and there is no", "[ERROR] osc: skipped: no", "[ERROR] osm: skipped: no", "[INFO] web: started", "[ERROR] osmanager: started, with failures"},
			[]string{"floppyconf", "web", "webssh"}},
		{"osc fails", "osc", false, "", 1,
			[]string{"[INFO] floppy: updated", "[ERROR] osc: failed (exit 1)", "[INFO] osm: started"},
			[]string{"floppyconf", "osc", "osm", "web", "webssh"}},
		{"config fails", "", false, "", 1,
			[]string{"[INFO] config: half done", "[ERROR] config: failed (exit 3)", "[INFO] osm: started", "[INFO] web: started"},
			[]string{"floppyconf", "osc", "osm", "web", "webssh"}},
		{"webssh missing", "", false, "webssh", 1,
			[]string{"[ERROR] webssh: skipped:", "[INFO] osm: started", "[INFO] web: started"},
			[]string{"floppyconf", "osc", "osm", "web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree := fakeTree(t)
			if tt.haveConf {
				mkdirs(t, tree, "conf")
				writeFile(t, filepath.Join(tree, "conf/luoyun.conf"), "TAG=1\n", 0o600)
			}
			if tt.name == "config fails" {
				writeFile(t, filepath.Join(tree, "custom/scripts/config"), "#!/bin/sh\necho half done\nexit 3\n", 0o755)
			}
			if tt.noBin != "" {
				os.Remove(filepath.Join(tree, "bin", tt.noBin))
			}
			r := runScript(t, []string{"LUOYUN_DIR=" + tree, "LUOYUN_ROOT=" + t.TempDir(), "FAKE_FAIL=" + tt.fail}, filepath.Join(tree, "osmanager.sh"))
			if r.code != tt.code {
				t.Errorf("osmanager.sh = exit %d, want %d:\n%s", r.code, tt.code, r.out)
			}
			for _, w := range tt.logged {
				if !strings.Contains(r.out, w) {
					t.Errorf("output lacks %q:\n%s", w, r.out)
				}
			}
			calls := waitCalls(t, tree, len(tt.calls))
			var names []string
			for _, c := range calls {
				names = append(names, strings.Fields(c)[0])
			}
			// The daemons start concurrently: compare them as a set.
			if len(names) > 2 {
				k := 1
				if names[1] == "osc" {
					k = 2
				}
				names = append(names[:k], sortedLines(strings.Join(names[k:], "\n"))...)
			}
			if d := cmp.Diff(tt.calls, names); d != "" {
				t.Errorf("programs run (-want +got):\n%s", d)
			}
		})
	}
}

// TestOsmanagerStartStop: per-component start, stop and restart, status
// exit codes, and a stale pid file naming another process is not killed.
func TestOsmanagerStartStop(t *testing.T) {
	tree := fakeTree(t)
	sc := filepath.Join(tree, "osmanager.sh")
	env := []string{"LUOYUN_DIR=" + tree}
	if r := runScript(t, env, sc, "start", "web", "osm"); r.code != 0 {
		t.Fatalf("start web osm = exit %d:\n%s", r.code, r.out)
	}
	checkStatus(t, tree, 3, "web: running", "osm: running", "webssh: not running")
	pid := readPid(t, tree, "web")

	r := runScript(t, env, sc, "restart", "web")
	if r.code != 0 || !strings.Contains(r.out, "web: stopped (pid "+strconv.Itoa(pid)+")") {
		t.Errorf("restart web = exit %d:\n%s", r.code, r.out)
	}
	if !waitFor(5*time.Second, func() bool { return !running(pid) }) {
		t.Errorf("old web (pid %d) still runs after restart", pid)
	}
	if p := readPid(t, tree, "web"); p == pid {
		t.Errorf("web pid unchanged after restart: %d", p)
	}
	if r := runScript(t, env, sc, "start", "web"); !strings.Contains(r.out, "web: already running") {
		t.Errorf("second start web:\n%s", r.out)
	}

	// A stale pid file naming an unrelated live process.
	sleeper := exec.Command("sleep", "30")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer sleeper.Process.Kill()
	writeFile(t, filepath.Join(tree, "run/webssh.pid"), strconv.Itoa(sleeper.Process.Pid)+"\n", 0o644)
	checkStatus(t, tree, 3, "webssh: not running")

	osmPid := readPid(t, tree, "osm")
	webPid := readPid(t, tree, "web")
	if r := runScript(t, env, sc, "stop"); r.code != 0 {
		t.Errorf("stop = exit %d:\n%s", r.code, r.out)
	}
	for _, p := range []int{osmPid, webPid} {
		if running(p) {
			t.Errorf("pid %d still runs after stop", p)
		}
	}
	if !running(sleeper.Process.Pid) {
		t.Errorf("stop killed an unrelated process named in a stale pid file")
	}
	checkStatus(t, tree, 3, "web: not running", "webssh: not running", "osm: not running")

	if r := runScript(t, env, sc, "start", "nosuch"); r.code != 2 {
		t.Errorf("start nosuch = exit %d, want 2:\n%s", r.code, r.out)
	}
}

func readPid(t *testing.T, tree, name string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(tree, "run", name+".pid"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// running reports whether pid is a live process (not a zombie that init
// has not reaped yet).
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z' && s[i+2] != 'X'
	}
	return true
}

// TestOsmanagerConfigBackground: a config script that leaves a process
// running in the background with its output open does not hold the boot
// up.
func TestOsmanagerConfigBackground(t *testing.T) {
	tree := fakeTree(t)
	writeFile(t, filepath.Join(tree, "custom/scripts/config"), "#!/bin/sh\necho starting my service\nsleep 30 &\necho $! >\"$LUOYUN_DIR/bg.pid\"\n", 0o755)
	start := time.Now()
	r := runScript(t, []string{"LUOYUN_DIR=" + tree, "LUOYUN_ROOT=" + t.TempDir(), "FAKE_FAIL="}, filepath.Join(tree, "osmanager.sh"))
	took := time.Since(start)
	if data, err := os.ReadFile(filepath.Join(tree, "bg.pid")); err == nil {
		if p, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
			syscall.Kill(p, syscall.SIGKILL)
		}
	}
	if r.code != 0 || !strings.Contains(r.out, "[INFO] config: starting my service") || !strings.Contains(r.out, "[INFO] osm: started") {
		t.Errorf("osmanager.sh = exit %d:\n%s", r.code, r.out)
	}
	if took > 10*time.Second {
		t.Errorf("osmanager.sh took %v: held up by the config script's background process", took)
	}
}

// TestOsmanagerGOMAXPROCS: a GOMAXPROCS the caller exports reaches all
// three daemons (they set their own from their settings otherwise:
// pkg/daemon's TestProcs); nothing else passes between the script and
// them (no LUOYUN_START_PROCS).
func TestOsmanagerGOMAXPROCS(t *testing.T) {
	s := newSandbox(t, 5*time.Second)
	r := runScript(t, append(s.env(), "GOMAXPROCS=3"), filepath.Join(s.tree, "osmanager.sh"), "start")
	if r.code != 0 {
		t.Fatalf("start = exit %d:\n%s", r.code, r.out)
	}
	for _, name := range []string{"web", "webssh", "osm"} {
		env := readFile(t, fmt.Sprintf("/proc/%d/environ", s.pid(t, name)))
		if !strings.Contains(env, "\x00GOMAXPROCS=3\x00") || strings.Contains(env, "LUOYUN_START_PROCS=") {
			t.Errorf("%s runs with %q, want GOMAXPROCS=3 and no LUOYUN_START_PROCS", name, env)
		}
	}
}
