package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInitEntryPoints runs the real chain the way the upstart jobs and
// systemd units do: "osmanager.sh osconfig" (the oneshot), then
// "osmanager.sh customconfig", then each component in the foreground with
// "osmanager.sh exec NAME" as the init system's child; osm killed and
// started again, as Restart=always and respawn do, re-registers; SIGTERM
// stops a component with exit 0.
func TestInitEntryPoints(t *testing.T) {
	s := newSandbox(t, 300*time.Millisecond)
	mustWrite(t, filepath.Join(s.tree, "custom/scripts/config"), "#!/bin/sh\necho configured by the appliance\n", 0o755)

	r := s.osmanager(t, "osconfig")
	if r.code != 0 || !strings.Contains(r.out, "floppy: updated") || !strings.Contains(r.out, "osc: done") {
		t.Fatalf("osmanager.sh osconfig = exit %d:\n%s", r.code, r.out)
	}
	if strings.Contains(r.out, "started") || strings.Contains(r.out, "config:") {
		t.Errorf("osconfig did more than floppy and osc:\n%s", r.out)
	}
	if got := readFile(t, filepath.Join(s.tree, "conf/luoyun.conf")); got != s.ini() {
		t.Errorf("luoyun.conf after osconfig = %q", got)
	}
	r = s.osmanager(t, "customconfig")
	if r.code != 0 || !strings.Contains(r.out, "config: configured by the appliance") {
		t.Fatalf("osmanager.sh customconfig = exit %d:\n%s", r.code, r.out)
	}

	// The services, as the init system runs them.
	children := map[string]*exec.Cmd{}
	startChild := func(name string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(s.tree, "osmanager.sh"), "exec", name)
		cmd.Env = append(os.Environ(), s.env()...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		children[name] = cmd
		return cmd
	}
	m := s.clc.mark()
	for _, n := range []string{"web", "webssh", "osm"} {
		startChild(n)
	}
	if _, _, ok := s.clc.wait(m, 10*time.Second, fmt.Sprintf("report tag=%d status=2000", e2eTag)); !ok {
		t.Fatalf("no report 2000 from osm run by exec")
	}
	waitAnswers(t, s.websshPort)
	for n, cmd := range children {
		// exec replaces the shell: the init system's child is the binary,
		// and the pid file names it.
		if p := s.pid(t, n); p != cmd.Process.Pid {
			t.Errorf("run/%s.pid = %d, the init system's child is %d", n, p, cmd.Process.Pid)
		}
		if cmdline := readFile(t, fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid)); !strings.HasPrefix(cmdline, filepath.Join(s.tree, "bin", n)+"\x00") {
			t.Errorf("%s's process runs %q, want bin/%s itself", n, strings.ReplaceAll(cmdline, "\x00", " "), n)
		}
	}
	checkStatusOf(t, s, 0, "web: running", "webssh: running", "osm: running")

	// osm dies; the init system starts it again.
	m = s.clc.mark()
	children["osm"].Process.Kill()
	children["osm"].Wait()
	startChild("osm")
	if _, _, ok := s.clc.wait(m, 10*time.Second, fmt.Sprintf("registered tag=%d ", e2eTag)); !ok {
		t.Fatalf("osm started again by exec did not re-register")
	}

	// SIGTERM, as systemctl stop and initctl stop send: exit 0.
	for _, n := range []string{"web", "webssh", "osm"} {
		cmd := children[n]
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s after SIGTERM: %v, want exit 0", n, err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s still runs 10 s after SIGTERM", n)
		}
	}
}
