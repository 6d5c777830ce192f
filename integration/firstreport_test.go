package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestFirstReportIs2000UnderInitSystem (issue #14.5): as systemd and
// upstart run them, osm and web start as separate services, with no
// run/web.out (web's output goes to the journal) and in any order; a
// healthy appliance's first report is still 2000 when web is slow to
// listen. The init system's children here are the test's: osm first,
// then "osmanager.sh exec web" (web waiting half a second before it
// starts), then the same with bin/web run directly (no pid file at all).
func TestFirstReportIs2000UnderInitSystem(t *testing.T) {
	s := newSandbox(t, 5*time.Second)
	if r := s.osmanager(t, "osconfig"); r.code != 0 {
		t.Fatalf("osmanager.sh osconfig = exit %d:\n%s", r.code, r.out)
	}
	real := filepath.Join(s.dir, "real/bin/web")
	mustMkdir(t, filepath.Dir(real))
	if err := os.Rename(filepath.Join(s.tree, "bin/web"), real); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(s.tree, "bin/web"), "#!/bin/sh\nsleep 0.5\nexec "+real+" \"$@\"\n", 0o755)
	start := func(argv ...string) *exec.Cmd {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), s.env()...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	stop := func(cmd *exec.Cmd) {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	web := map[string][]string{
		"osmanager.sh exec web": {filepath.Join(s.tree, "osmanager.sh"), "exec", "web"},
		"bin/web directly": {filepath.Join(s.tree, "bin/web"), "-c", filepath.Join(s.tree, "conf/luoyun.conf"),
			"-l", filepath.Join(s.tree, "log/lyweb.log"), "-w", filepath.Join(s.tree, "custom/www"),
			"--listen-addr", "127.0.0.1", "--settings", filepath.Join(s.tree, "custom/osmanager.toml")},
	}
	for _, how := range []string{"osmanager.sh exec web", "bin/web directly", "osmanager.sh exec web"} {
		os.Remove(filepath.Join(s.tree, "run/web.out"))
		os.Remove(filepath.Join(s.tree, "run/web.pid"))
		m := s.clc.mark()
		osm := start(filepath.Join(s.tree, "osmanager.sh"), "exec", "osm")
		w := start(web[how]...)
		_, ev, ok := s.clc.wait(m, 15*time.Second, fmt.Sprintf("report tag=%d ", e2eTag))
		if !ok {
			t.Fatalf("%s: no report", how)
		}
		if ev.text != fmt.Sprintf("report tag=%d status=2000", e2eTag) {
			t.Errorf("%s: first report %q, want status=2000; luoyun.log:\n%s", how, ev.text, readFile(t, filepath.Join(s.tree, "log/luoyun.log")))
		}
		stop(osm)
		stop(w)
	}
}

// TestFirstReportNotHeldForever (issue #14.5): the first report waits for
// web only for osm's grace (half the sandbox's 5 s status_timeout): with
// no web at all, the first report is 2001 a few seconds after the
// registration, not held back for good.
func TestFirstReportNotHeldForever(t *testing.T) {
	s := newSandbox(t, 200*time.Millisecond)
	if r := s.osmanager(t, "osconfig"); r.code != 0 {
		t.Fatalf("osmanager.sh osconfig = exit %d:\n%s", r.code, r.out)
	}
	os.Remove(filepath.Join(s.tree, "bin/web")) // web never comes
	m := s.clc.mark()
	cmd := exec.Command(filepath.Join(s.tree, "osmanager.sh"), "exec", "osm")
	cmd.Env = append(os.Environ(), s.env()...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	_, reg, ok := s.clc.wait(m, 10*time.Second, fmt.Sprintf("registered tag=%d ", e2eTag))
	if !ok {
		t.Fatal("osm did not register")
	}
	_, ev, ok := s.clc.wait(m, 15*time.Second, fmt.Sprintf("report tag=%d ", e2eTag))
	if !ok {
		t.Fatal("no report: the status script waits for a web that never comes")
	}
	if ev.text != fmt.Sprintf("report tag=%d status=2001", e2eTag) {
		t.Errorf("first report %q, want status=2001 (nothing listens)", ev.text)
	}
	if d := ev.at.Sub(reg.at); d > 8*time.Second {
		t.Errorf("first report %v after registration, want about the 2.5 s grace", d)
	}
}

// TestFirstReportWebDown: with web just started but never listening
// (run/web.pid a process a moment old), the first report is 2001 within
// one status_interval plus status_timeout of osm's start: not 2128 (a
// status script killed at the timeout), not later.
func TestFirstReportWebDown(t *testing.T) {
	interval := time.Second
	s := newSandbox(t, interval)
	if r := s.osmanager(t, "osconfig"); r.code != 0 {
		t.Fatalf("osmanager.sh osconfig = exit %d:\n%s", r.code, r.out)
	}
	web := exec.Command("sleep", "60")
	if err := web.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { web.Process.Kill(); web.Wait() })
	mustWrite(t, filepath.Join(s.tree, "run/web.pid"), fmt.Sprintf("%d\n", web.Process.Pid), 0o644)
	m := s.clc.mark()
	start := time.Now()
	cmd := exec.Command(filepath.Join(s.tree, "osmanager.sh"), "exec", "osm")
	cmd.Env = append(os.Environ(), s.env()...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	_, ev, ok := s.clc.wait(m, 30*time.Second, fmt.Sprintf("report tag=%d ", e2eTag))
	if !ok {
		t.Fatal("no report")
	}
	took := ev.at.Sub(start)
	t.Logf("first report %q %v after osm started", ev.text, took.Round(time.Millisecond))
	if ev.text != fmt.Sprintf("report tag=%d status=2001", e2eTag) {
		t.Errorf("first report %q, want status=2001 (nothing listens)", ev.text)
	}
	if limit := interval + 5*time.Second; took > limit { // the sandbox's status_timeout is 5 s
		t.Errorf("first report %v after osm started, want within %v", took, limit)
	}
}
