package integration

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemo runs scripts/demo.sh (what make demo runs) in a temp sandbox
// with free ports, waits for the simulator's registration and report
// lines and the URLs, then sends Ctrl-C (SIGINT to its process group) and checks that every
// process it started is gone, that osc's edits landed in the sandbox and
// that no /LuoYun appeared on the machine.
func TestDemo(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	bin := binDir(t)
	sb := t.TempDir()
	_, hostTree := os.Lstat("/LuoYun")
	web, webssh, clc := freePort(t), freePort(t), freePort(t)
	cmd := exec.Command("bash", filepath.Join(repoRoot(t), "scripts/demo.sh"))
	cmd.Env = append(os.Environ(), "LUOYUN_BIN="+bin, "DEMO_DIR="+sb, "DEMO_SHELL=cat", "MAKEFLAGS=",
		"DEMO_WEB_PORT="+strconv.Itoa(web), "DEMO_WEBSSH_PORT="+strconv.Itoa(webssh), "DEMO_CLC_PORT="+strconv.Itoa(clc))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	// A process group of its own, like a terminal's foreground job, so
	// that Ctrl-C can be sent to all of it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Whatever happens, nothing it started survives the test: the
	// daemons (in sessions of their own) through osmanager.sh stop, the
	// rest (simulator, tee) with its process group.
	t.Cleanup(func() {
		if sc := filepath.Join(sb, "LuoYun/osmanager.sh"); fileExists(sc) {
			runScript(t, []string{"LUOYUN_DIR=" + filepath.Join(sb, "LuoYun")}, sc, "stop")
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var all []string
	// wait waits for a line containing want, in any order with the others
	// (the simulator's lines interleave with the demo's).
	wait := func(want string) {
		t.Helper()
		for _, l := range all {
			if strings.Contains(l, want) {
				return
			}
		}
		timeout := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("demo ended before %q:\n%s", want, strings.Join(all, "\n"))
				}
				all = append(all, l)
				if strings.Contains(l, want) {
					return
				}
			case <-timeout:
				t.Fatalf("no %q from the demo in 30s:\n%s", want, strings.Join(all, "\n"))
			}
		}
	}
	wait("page:      http://127.0.0.1:" + strconv.Itoa(web) + "/")
	wait("web shell: http://127.0.0.1:" + strconv.Itoa(webssh) + "/")
	wait("clc: registered tag=42 ip=127.0.0.1")
	wait("clc: report tag=42 status=2000")
	if body := httpGet(t, "http://127.0.0.1:"+strconv.Itoa(web)+"/"); !strings.Contains(body, "Demo") {
		t.Errorf("demo page lacks the demo VERSION's application:\n%s", body)
	}

	pids := sandboxPids(t, sb)
	if len(pids) < 4 { // osm clc, osm, web, webssh
		t.Errorf("found %d processes running from the sandbox, want at least 4", len(pids))
	}
	// Ctrl-C: SIGINT to the whole foreground process group.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	wait("demo: stopped")
	for range lines {
	}
	if err := cmd.Wait(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
			t.Errorf("demo after Ctrl-C: %v, want exit 130", err)
		}
	}
	if !waitFor(5*time.Second, func() bool { return len(sandboxPids(t, sb)) == 0 }) {
		t.Errorf("processes still running from the sandbox after Ctrl-C: %v", sandboxPids(t, sb))
	}
	if _, err := os.Lstat("/LuoYun"); os.IsNotExist(hostTree) && !os.IsNotExist(err) {
		t.Errorf("the demo created /LuoYun outside its sandbox")
	}
	for _, f := range []string{"LuoYun/conf/luoyun.conf", "root/etc/shadow", "root/etc/resolv.conf", "root/root/.ssh/authorized_keys", "clc.log"} {
		if _, err := os.Stat(filepath.Join(sb, f)); err != nil {
			t.Errorf("sandbox lacks %s: %v", f, err)
		}
	}
}

// sandboxPids lists live processes whose command line names dir.
func sandboxPids(t *testing.T, dir string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(data), dir) && running(pid) {
			out = append(out, pid)
		}
	}
	return out
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
