package daemon

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/pkg/bootlog"
	"github.com/luoyun/osmanager/pkg/procinfo"
)

// TestMain makes the test binary a daemon when DAEMON_HELPER says so:
// "ready" starts (DAEMON_PIDFILE, DAEMON_BACKGROUND), says it listens and
// waits for SIGTERM; "fail" prints a line and one error line and exits 3.
func TestMain(m *testing.M) {
	if mode := os.Getenv("DAEMON_HELPER"); mode != "" {
		os.Exit(helper(mode))
	}
	os.Exit(m.Run())
}

func helper(mode string) int {
	procs, _ := strconv.Atoi(os.Getenv("DAEMON_PROCS"))
	o := Options{Name: "web", Pidfile: os.Getenv("DAEMON_PIDFILE"), Background: os.Getenv("DAEMON_BACKGROUND") == "1", Procs: max(procs, 1)}
	p, done, err := Start(o, os.Args, os.Stdout, os.Stderr)
	var ee *ExitError
	switch {
	case errors.As(err, &ee):
		return ee.Code
	case err != nil:
		os.Stderr.WriteString("web: " + err.Error() + "\n")
		return 1
	case done:
		return 0
	}
	defer p.Close()
	if mode == "procs" {
		os.Stdout.WriteString(strconv.Itoa(runtime.GOMAXPROCS(0)) + " " + os.Getenv("GOMAXPROCS") + os.Getenv(procsEnv) + "\n")
		return 0
	}
	if mode == "fail" {
		os.Stdout.WriteString("web: starting\n")
		os.Stderr.WriteString("web: cannot listen: address in use\n")
		return 3
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 1
	}
	os.Stderr.WriteString("web: " + bootlog.WarningPrefix + "a mistake in [memory]\n")
	p.Ready(os.Stdout, bootlog.Listening(l.Addr().String()))
	os.Stdout.WriteString("after ready\n")
	ch := make(chan os.Signal, 1)
	signalNotify(ch)
	<-ch
	return 0
}

func helperCmd(t *testing.T, mode, pidfile string, background bool, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	bg := "0"
	if background {
		bg = "1"
	}
	cmd.Env = append(os.Environ(), append([]string{"DAEMON_HELPER=" + mode, "DAEMON_PIDFILE=" + pidfile, "DAEMON_BACKGROUND=" + bg}, env...)...)
	return cmd
}

// TestBackgroundReady: the parent returns 0 once the child is ready,
// its ready line on stdout and its warning on stderr; the child runs in
// a session of its own, its pid file names it with its identity, later
// output goes to run/NAME.out, and Stop ends it.
func TestBackgroundReady(t *testing.T) {
	dir := t.TempDir()
	pf := filepath.Join(dir, "web.pid")
	cmd := helperCmd(t, "ready", pf, true)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("background start: %v (stderr %q)", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), bootlog.ListeningPrefix+"127.0.0.1:") || strings.Count(stdout.String(), "\n") != 1 {
		t.Errorf("parent's stdout = %q, want the ready line only", stdout.String())
	}
	if stderr.String() != "web: warning: a mistake in [memory]\n" {
		t.Errorf("parent's stderr = %q, want the child's warning", stderr.String())
	}
	pid, err := Find(procinfo.Root, pf)
	if err != nil {
		t.Fatalf("Find = %v", err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	exe, _ := os.Executable()
	if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); strings.TrimSpace(string(comm)) != filepath.Base(exe)[:min(15, len(filepath.Base(exe)))] {
		t.Errorf("child's comm = %q, want its binary's name %q", comm, filepath.Base(exe))
	}
	if st, _ := procinfo.ReadStat(procinfo.Root, pid); st.Session != pid {
		t.Errorf("child's session = %d, want its own (%d)", st.Session, pid)
	}
	if env, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ"); !bytes.Contains(env, []byte("\x00GOMAXPROCS=1\x00")) {
		t.Errorf("child's runtime did not start on one P (GOMAXPROCS=1)")
	}
	out := OutFile(pf)
	waitFor(t, func() bool { b, _ := os.ReadFile(out); return strings.Contains(string(b), "after ready\n") })
	// The parent copies the lines before the ready line; the child
	// appends after it: the two may interleave, never overwrite.
	waitFor(t, func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "web: warning: a mistake in [memory]\n") && strings.Contains(string(b), "\n"+bootlog.ListeningPrefix) || strings.HasPrefix(string(b), bootlog.ListeningPrefix)
	})

	// A second start finds it running.
	stdout.Reset()
	again := helperCmd(t, "ready", pf, true)
	again.Stdout = &stdout
	if err := again.Run(); err != nil || stdout.String() != bootlog.AlreadyRunning(pid)+"\n" {
		t.Errorf("second start = %v, %q", err, stdout.String())
	}

	s, err := Stop(context.Background(), procinfo.Root, pf, 5*time.Second)
	if err != nil || s.Outcome != Stopped || s.PID != pid {
		t.Errorf("Stop = %+v, %v; want stopped pid %d", s, err, pid)
	}
	if _, err := os.Stat(pf); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file left after stop: %v", err)
	}
}

// TestBackgroundError: a child that fails before it is ready makes the
// parent return the child's exit status, with its lines on stderr.
func TestBackgroundError(t *testing.T) {
	pf := filepath.Join(t.TempDir(), "web.pid")
	cmd := helperCmd(t, "fail", pf, true)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("background start of a failing daemon = %v, want exit 3", err)
	}
	if stdout.Len() != 0 || !strings.HasSuffix(stderr.String(), "web: cannot listen: address in use\n") {
		t.Errorf("stdout %q, stderr %q; want the error line last on stderr", stdout.String(), stderr.String())
	}
	if _, err := Find(procinfo.Root, pf); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Find after a failed start = %v, want ErrNotRunning", err)
	}
}

// TestForeignProcess: a pid file naming another program, even one whose
// path ends in /bin/web, is stale; Stop removes it and leaves the
// process alone.
func TestForeignProcess(t *testing.T) {
	dir := t.TempDir()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	web := filepath.Join(dir, "opt/app/bin/web")
	os.MkdirAll(filepath.Dir(web), 0o755)
	copyFile(t, sleep, web)
	foreign := exec.Command(web, "60")
	if err := foreign.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { foreign.Process.Kill(); foreign.Wait() })
	pf := filepath.Join(dir, "web.pid")
	os.WriteFile(pf, []byte(strconv.Itoa(foreign.Process.Pid)+"\n"), 0o644)

	// Without an identity, and with one of another process (ours).
	self, _ := Self()
	for _, id := range []string{"", self.String() + "\n"} {
		os.WriteFile(pf, []byte(strconv.Itoa(foreign.Process.Pid)+"\n"), 0o644)
		if id != "" {
			os.WriteFile(pf+IDSuffix, []byte(id), 0o644)
		}
		var stale *StaleError
		if _, err := Find(procinfo.Root, pf); !errors.As(err, &stale) || stale.PID != foreign.Process.Pid {
			t.Errorf("Find(foreign, id %q) = %v, want stale", id, err)
		}
		s, err := Stop(context.Background(), procinfo.Root, pf, time.Second)
		if err != nil || s.Outcome != Stale || !strings.Contains(s.String(), "stale pid file") {
			t.Errorf("Stop(foreign) = %+v (%s), %v", s, s, err)
		}
		if !procinfo.Alive(procinfo.Root, foreign.Process.Pid) {
			t.Fatal("Stop signalled a foreign process")
		}
		if _, err := os.Stat(pf); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale pid file not removed")
		}
	}
}

// TestMovedBinary: our process is still ours after its binary was moved
// away and another file put in its place (an upgrade): /proc/PID/exe
// then points into the backup, or reads "(deleted)".
func TestMovedBinary(t *testing.T) {
	for _, how := range []string{"moved", "replaced"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			exe, _ := os.Executable()
			bin := filepath.Join(dir, "bin/web")
			os.MkdirAll(filepath.Dir(bin), 0o755)
			copyFile(t, exe, bin)
			pf := filepath.Join(dir, "run/web.pid")
			os.MkdirAll(filepath.Dir(pf), 0o755)
			cmd := exec.Command(bin, "-test.run=^$")
			cmd.Env = append(os.Environ(), "DAEMON_HELPER=ready", "DAEMON_PIDFILE="+pf, "DAEMON_BACKGROUND=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("start: %v\n%s", err, out)
			}
			pid, err := Find(procinfo.Root, pf)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
			if how == "moved" {
				os.MkdirAll(filepath.Join(dir, "backup-1"), 0o755)
				if err := os.Rename(filepath.Join(dir, "bin"), filepath.Join(dir, "backup-1/bin")); err != nil {
					t.Fatal(err)
				}
			} else if err := os.Remove(bin); err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(filepath.Dir(bin), 0o755)
			copyFile(t, exe, bin) // the new binary, same path
			link, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
			if link == bin {
				t.Fatalf("/proc/%d/exe = %s: still the path", pid, link)
			}
			s, err := Stop(context.Background(), procinfo.Root, pf, 5*time.Second)
			if err != nil || s.Outcome != Stopped || s.PID != pid {
				t.Errorf("Stop after the binary was %s (exe %s) = %+v, %v", how, link, s, err)
			}
		})
	}
}

// TestNotify: READY=1 arrives on a real unixgram socket, named by a path
// or an abstract name.
func TestNotify(t *testing.T) {
	for _, name := range []string{filepath.Join(t.TempDir(), "notify"), "@luoyun-test-" + strconv.Itoa(os.Getpid())} {
		c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv(NotifySocketEnv, name)
		if err := Notify("READY=1"); err != nil {
			t.Fatalf("Notify(%s) = %v", name, err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		if err != nil || string(buf[:n]) != "READY=1" {
			t.Errorf("socket %s got %q, %v", name, buf[:n], err)
		}
		c.Close()
	}
	t.Setenv(NotifySocketEnv, "relative")
	if err := Notify("READY=1"); err == nil {
		t.Error("Notify to a relative name succeeded")
	}
	t.Setenv(NotifySocketEnv, "")
	if err := Notify("READY=1"); err != nil {
		t.Errorf("Notify without a socket = %v", err)
	}
}

// TestReadyNotifies: a daemon in the foreground (as systemd runs it)
// sends READY=1 once it is ready, not before.
func TestReadyNotifies(t *testing.T) {
	name := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cmd := helperCmd(t, "ready", "", false, NotifySocketEnv+"="+name)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "READY=1" {
		t.Fatalf("got %q, %v", buf[:n], err)
	}
	line := make([]byte, len(bootlog.ListeningPrefix))
	if _, err := io.ReadFull(out, line); err != nil || string(line) != bootlog.ListeningPrefix {
		t.Errorf("stdout begins %q, %v", line, err)
	}
}

func TestIdentityRoundTrip(t *testing.T) {
	id := Identity{StartTicks: 123, Dev: 2049, Ino: 77, Exe: "/LuoYun/backup 1/bin/web (deleted)"}
	got, err := ParseIdentity([]byte(id.String() + "\n"))
	if err != nil || got != id {
		t.Errorf("ParseIdentity(%q) = %+v, %v", id.String(), got, err)
	}
	for _, bad := range []string{"", "start=1", "start=x dev=1 ino=1 exe=/a", "dev=1 start=1 ino=1 exe=/a", "start=1 dev=1 ino=1 /a"} {
		if _, err := ParseIdentity([]byte(bad)); err == nil {
			t.Errorf("ParseIdentity(%q) succeeded", bad)
		}
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	poll.Until(t, poll.Timeout, "the condition", cond)
}

// TestProcs: a daemon runs on Procs Ps unless the caller's GOMAXPROCS
// says otherwise; one Spawn started on one P has its own count and passes
// neither variable on.
func TestProcs(t *testing.T) {
	for _, tc := range []struct{ env, want string }{
		{"", "2 "}, {"GOMAXPROCS=3", "3 3"}, {"GOMAXPROCS=1 LUOYUN_BACKGROUND_PROCS=1", "2 "},
	} {
		cmd := helperCmd(t, "procs", "", false, "DAEMON_PROCS=2", "GOMAXPROCS=")
		cmd.Env = append(cmd.Env, strings.Fields(tc.env)...)
		if out, err := cmd.Output(); err != nil || string(out) != tc.want+"\n" {
			t.Errorf("with %q: GOMAXPROCS and its variable %q, %v; want %q", tc.env, out, err, tc.want)
		}
	}
}

func TestTreeBinary(t *testing.T) {
	for _, c := range []struct {
		exe  string
		argv []string
		want bool
	}{
		{"/LuoYun/bin/web", nil, true},
		{"/LuoYun/bin/web (deleted)", nil, true},
		{"/LuoYun/backup-20261207-061500/bin/web", nil, true},
		{"/LuoYun/bin/luoyun", []string{"/LuoYun/bin/web", "-c"}, true},
		{"/LuoYun/bin/luoyun", []string{"osm"}, false},
		{"/opt/app/bin/web", nil, false},
		{"/LuoYun/custom/bin/web", nil, false},
		{"/LuoYun/other-1/bin/web", nil, false},
		{"/LuoYun/bin/webssh", nil, false},
		{"/LuoYunX/bin/web", nil, false},
	} {
		if got := TreeBinary("/LuoYun", "web", c.exe, c.argv); got != c.want {
			t.Errorf("TreeBinary(%q, %q) = %v, want %v", c.exe, c.argv, got, c.want)
		}
	}
}

// TestFindUnrecorded: a pid file from before identities were recorded
// names ours only when the process runs the tree's binary of that name.
func TestFindUnrecorded(t *testing.T) {
	tree := t.TempDir()
	for _, d := range []string{"bin", "run", "opt/bin"} {
		if err := os.MkdirAll(filepath.Join(tree, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	data, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	start := func(bin string) int {
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "60")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd.Process.Pid
	}
	pidfile := filepath.Join(tree, "run", "web.pid")
	ours := start(filepath.Join(tree, "bin", "web"))
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(ours)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if pid, err := Find(procinfo.Root, pidfile); err != nil || pid != ours {
		t.Errorf("tree's bin/web: Find = %d, %v; want %d", pid, err, ours)
	}
	foreign := start(filepath.Join(tree, "opt", "bin", "web"))
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(foreign)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stale *StaleError
	if _, err := Find(procinfo.Root, pidfile); !errors.As(err, &stale) {
		t.Errorf("foreign .../bin/web: Find error %v, want a StaleError", err)
	}
}
