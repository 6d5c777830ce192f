package integration

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStalePidFileForeignWeb: a stale run/web.pid (run/ survives a
// reboot) naming an unrelated process whose path ends in /bin/web (an
// appliance's own /opt/app/bin/web) is reported and removed by stop,
// never signalled; start then starts ours.
func TestStalePidFileForeignWeb(t *testing.T) {
	s := newSandbox(t, 5*time.Second)
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	web := filepath.Join(t.TempDir(), "opt/app/bin/web")
	mustMkdir(t, filepath.Dir(web))
	mustWrite(t, web, readFile(t, sleep), 0o755)
	foreign := exec.Command(web, "120")
	if err := foreign.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { foreign.Process.Kill(); foreign.Wait() })
	pid := foreign.Process.Pid
	pidfile := filepath.Join(s.tree, "run/web.pid")
	mustMkdir(t, filepath.Dir(pidfile))

	mustWrite(t, pidfile, strconv.Itoa(pid)+"\n", 0o644)
	r := s.osmanager(t, "stop", "web")
	if !running(pid) {
		t.Fatalf("osmanager.sh stop web killed pid %d, %s, named by a stale pid file:\n%s", pid, web, r.out)
	}
	if r.code != 0 || !strings.Contains(r.out, "[WARN] web: stale pid file: pid "+strconv.Itoa(pid)) || !strings.Contains(r.out, "; removed") {
		t.Errorf("stop web = exit %d, want the stale pid file reported:\n%s", r.code, r.out)
	}
	if _, err := os.Stat(pidfile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale run/web.pid still there after stop: %v", err)
	}

	mustWrite(t, pidfile, strconv.Itoa(pid)+"\n", 0o644)
	r = s.osmanager(t, "start", "web")
	if r.code != 0 || !strings.Contains(r.out, "[INFO] web: started (pid ") || strings.Contains(r.out, "already running") {
		t.Fatalf("start web with a stale pid file = exit %d:\n%s", r.code, r.out)
	}
	if p := s.pid(t, "web"); p == pid || !running(p) || !running(pid) {
		t.Errorf("run/web.pid = %d (foreign %d running %v)", p, pid, running(pid))
	}
	waitAnswers(t, s.webPort)
}

// TestStopAfterUpgrade: the daemons are still ours, and stop ends them,
// after an upgrade moved their binaries into a backup and put new ones
// in bin/ (their /proc/PID/exe then points into the backup), or replaced
// the files in place (it then ends in " (deleted)").
func TestStopAfterUpgrade(t *testing.T) {
	for _, how := range []string{"moved", "replaced"} {
		t.Run(how, func(t *testing.T) {
			s := newSandbox(t, 5*time.Second)
			if r := s.osmanager(t, "start"); r.code != 0 {
				t.Fatalf("start = exit %d:\n%s", r.code, r.out)
			}
			bin := filepath.Join(s.tree, "bin")
			if how == "moved" {
				backup := filepath.Join(s.tree, "backup-20261207-050000")
				mustMkdir(t, backup)
				if err := os.Rename(bin, filepath.Join(backup, "bin")); err != nil {
					t.Fatal(err)
				}
			} else if err := os.RemoveAll(bin); err != nil {
				t.Fatal(err)
			}
			copyBins(t, s.bin, bin)
			pids := map[string]int{}
			for _, n := range []string{"web", "webssh", "osm"} {
				pids[n] = s.pid(t, n)
				if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pids[n])); exe == filepath.Join(bin, n) {
					t.Fatalf("%s's exe is still %s", n, exe)
				}
			}
			checkStatusOf(t, s, 0, "web: running", "webssh: running", "osm: running")
			r := s.osmanager(t, "stop")
			for n, p := range pids {
				if running(p) {
					t.Errorf("%s (pid %d) still runs after stop:\n%s", n, p, r.out)
				}
				if !strings.Contains(r.out, fmt.Sprintf("[INFO] %s: stopped (pid %d)", n, p)) {
					t.Errorf("stop does not say %s stopped:\n%s", n, r.out)
				}
			}
		})
	}
}

// TestNotifyReady: as systemd runs it (Type=notify, osmanager.sh exec
// NAME), each daemon sends READY=1 on NOTIFY_SOCKET, an abstract
// unixgram socket here, once it is ready: web and webssh then answer on
// their port.
func TestNotifyReady(t *testing.T) {
	s := newSandbox(t, 5*time.Second)
	if r := s.osmanager(t, "osconfig"); r.code != 0 {
		t.Fatalf("osconfig = exit %d:\n%s", r.code, r.out)
	}
	for _, n := range []string{"web", "webssh", "osm"} {
		t.Run(n, func(t *testing.T) {
			name := fmt.Sprintf("@luoyun-notify-%d-%s", os.Getpid(), n)
			sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
			if err != nil {
				t.Fatal(err)
			}
			defer sock.Close()
			cmd := exec.Command(filepath.Join(s.tree, "osmanager.sh"), "exec", n)
			cmd.Env = append(append(os.Environ(), s.env()...), "NOTIFY_SOCKET="+name)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
			sock.SetReadDeadline(time.Now().Add(30 * time.Second))
			buf := make([]byte, 128)
			k, err := sock.Read(buf)
			if err != nil || string(buf[:k]) != "READY=1" {
				t.Fatalf("%s sent %q, %v; want READY=1", n, buf[:k], err)
			}
			port := map[string]int{"web": s.webPort, "webssh": s.websshPort}[n]
			if port == 0 {
				return
			}
			c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err != nil {
				t.Errorf("%s said READY=1 but does not answer: %v", n, err)
				return
			}
			c.Close()
		})
	}
}

// TestBackgroundErrorLine: a daemon started with --background returns 1
// with the child's one error line when the child fails before it is
// ready (here, its port is taken), and 0 with its ready line once it is.
func TestBackgroundErrorLine(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	mustMkdir(t, filepath.Join(www, "nocookie"))
	none := filepath.Join(dir, "none.toml")
	run := func(port string) (int, string, string) {
		cmd := exec.Command(filepath.Join(binDir(t), "web"), "--background", "--pidfile", filepath.Join(dir, "run/web.pid"),
			"--listen-addr", "127.0.0.1", "-p", port, "-c", "/dev/null", "-w", www, "-l", filepath.Join(dir, "web.log"), "--settings", none)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, stdout.String(), stderr.String()
	}
	mustWrite(t, none, "", 0o644)
	mustMkdir(t, filepath.Join(dir, "run"))
	code, stdout, stderr := run(port)
	if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "web: ") || !strings.Contains(stderr, port) {
		t.Errorf("web --background on a taken port = exit %d, stdout %q, stderr %q; want 1 and one error line", code, stdout, stderr)
	}
	code, stdout, stderr = run("0")
	if code != 0 || !strings.HasPrefix(stdout, "listening addr=127.0.0.1:") || stderr != "" {
		t.Errorf("web --background = exit %d, stdout %q, stderr %q; want 0 and its ready line", code, stdout, stderr)
	}
	if r := runScript(t, nil, filepath.Join(binDir(t), "osm"), "stop", "--dir", dir, "web"); r.code != 0 || !strings.Contains(r.out, "[INFO] web: stopped (pid ") {
		t.Errorf("osm stop web = exit %d:\n%s", r.code, r.out)
	}
}

// TestSignalEndsFloppyconf: floppyconf blocked opening a FIFO (a
// luoyun.ini that is one) ends on SIGTERM, as every binary does at any
// point.
func TestSignalEndsFloppyconf(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "luoyun.ini"), 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	cmd := exec.Command(filepath.Join(binDir(t), "floppyconf"), "-d", dir, "-c", filepath.Join(dir, "luoyun.conf"), "--settings", "/dev/null")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Wait until it is past its start-up, blocked in the open.
	waitFor(10*time.Second, func() bool {
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", cmd.Process.Pid))
		return len(st) > 0 && string(st) != "0"
	})
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("floppyconf still runs 30 s after SIGTERM")
	}
}

// TestUnitsNotify: the daemons' systemd units wait for READY=1
// (Type=notify), sent by the process that osmanager.sh exec becomes.
func TestUnitsNotify(t *testing.T) {
	for _, n := range []string{"web", "webssh", "osm"} {
		unit := readFile(t, filepath.Join(repoRoot(t), "init/systemd/luoyun-"+n+".service"))
		if !strings.Contains(unit, "\nType=notify\n") || !strings.Contains(unit, "\nExecStart=/LuoYun/osmanager.sh exec "+n+"\n") {
			t.Errorf("luoyun-%s.service is not Type=notify with osmanager.sh exec:\n%s", n, unit)
		}
	}
}

// TestSettingsMistakeSaidAtStart: with a mistake in [osm], restart web
// (which does not read [osm]) and the whole chain's start both put it in
// osmanager.log as a warning, and status shows it for as long as it is
// in the file.
func TestSettingsMistakeSaidAtStart(t *testing.T) {
	s := newSandbox(t, 5*time.Second)
	toml := filepath.Join(s.tree, "custom/osmanager.toml")
	good := readFile(t, toml)
	mustWrite(t, toml, strings.Replace(good, "[osm]\n", "[osm]\nstatus_intreval = \"5s\"\n", 1), 0o644)
	want := "[WARN] settings: " + toml + " line 3: [osm] status_intreval: unknown key; did you mean status_interval?"
	for _, args := range [][]string{{"restart", "web"}, {"restart"}} {
		r := s.osmanager(t, args...)
		if !strings.Contains(r.out, want) || !strings.Contains(readFile(t, filepath.Join(s.tree, "log/osmanager.log")), want) {
			t.Errorf("osmanager.sh %v does not say the [osm] mistake:\n%s", args, r.out)
		}
	}
	st := s.osmanager(t, "status")
	if !strings.Contains(st.out, "settings: "+toml+" line 3: [osm] status_intreval") {
		t.Errorf("status does not show the mistake:\n%s", st.out)
	}
	mustWrite(t, toml, good, 0o644)
	if st := s.osmanager(t, "status"); strings.Contains(st.out, "settings: ") {
		t.Errorf("status still shows a mistake after the fix:\n%s", st.out)
	}
}
