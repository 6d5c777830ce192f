package statusrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/poll"
)

func script(t *testing.T, body string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "status")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		mode        os.FileMode
		missing     bool
		wantStatus  int32
		wantMissing bool
		wantOut     string
		wantErr     bool
	}{
		{name: "exit 0", body: "echo fine; exit 0", mode: 0o755, wantStatus: 2000, wantOut: "fine\n"},
		{name: "exit 3", body: "echo degraded >&2; exit 3", mode: 0o755, wantStatus: 2003, wantOut: "degraded\n"},
		{name: "exit 127", body: "exit 127", mode: 0o755, wantStatus: 2127},
		// The original reported 2000 + code for every code; 2129 (stopped)
		// and 2130 (failed) are defined codes a script may use.
		{name: "exit 129", body: "exit 129", mode: 0o755, wantStatus: 2129},
		{name: "exit 130", body: "exit 130", mode: 0o755, wantStatus: 2130},
		{name: "exit 200", body: "exit 200", mode: 0o755, wantStatus: 2200},
		{name: "exit 255", body: "exit 255", mode: 0o755, wantStatus: 2255},
		{name: "killed by a signal", body: "kill -9 $$", mode: 0o755, wantStatus: 2128, wantErr: true},
		{name: "not executable", body: "exit 0", mode: 0o644, wantStatus: 2128, wantMissing: true, wantErr: true},
		{name: "missing", missing: true, wantStatus: 2128, wantMissing: true, wantErr: true},
		{name: "empty script", body: "", mode: 0o755, wantStatus: 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "none")
			if !tt.missing {
				p = script(t, tt.body, tt.mode)
			}
			r := &Runner{Path: p, Timeout: 10 * time.Second}
			res := r.Run(context.Background())
			if res.Status != tt.wantStatus {
				t.Errorf("Status = %d, want %d (err %v)", res.Status, tt.wantStatus, res.Err)
			}
			if res.Missing != tt.wantMissing {
				t.Errorf("Missing = %v, want %v", res.Missing, tt.wantMissing)
			}
			if (res.Err != nil) != tt.wantErr {
				t.Errorf("Err = %v, want error %v", res.Err, tt.wantErr)
			}
			if tt.wantOut != "" && string(res.Output) != tt.wantOut {
				t.Errorf("Output = %q, want %q", res.Output, tt.wantOut)
			}
		})
	}
}

func TestCannotExec(t *testing.T) {
	p := filepath.Join(t.TempDir(), "status")
	os.WriteFile(p, []byte("#!/nonexistent/interpreter\n"), 0o755)
	res := (&Runner{Path: p, Timeout: time.Second}).Run(context.Background())
	if res.Status != 2128 || res.Err == nil {
		t.Errorf("Run = %d, %v; want 2128 with an error", res.Status, res.Err)
	}
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// A zombie waiting for its reaper is dead enough.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	p := script(t, "sleep 300 &\necho $! > "+pidFile+"\nwait", 0o755)
	start := time.Now()
	res := (&Runner{Path: p, Timeout: 300 * time.Millisecond}).Run(context.Background())
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Run took %v with a 300ms timeout", el)
	}
	if res.Status != 2128 || !res.TimedOut || !errors.Is(res.Err, ErrTimeout) {
		t.Fatalf("Run = %d timedOut=%v err=%v; want 2128, timed out", res.Status, res.TimedOut, res.Err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if !poll.Wait(poll.Timeout, func() bool { return !alive(pid) }) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("the script's child %d survived the timeout", pid)
	}
}

func TestCancelKills(t *testing.T) {
	p := script(t, "sleep 300", 0o755)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result)
	go func() { done <- (&Runner{Path: p, Timeout: time.Minute}).Run(ctx) }()
	cancel()
	select {
	case res := <-done:
		if res.Status != 2128 || !errors.Is(res.Err, context.Canceled) {
			t.Errorf("Run = %d, %v", res.Status, res.Err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestFloodIsBounded(t *testing.T) {
	p := script(t, "head -c 5000000 /dev/zero; exit 4", 0o755)
	res := (&Runner{Path: p, Timeout: 20 * time.Second}).Run(context.Background())
	if res.Status != 2004 {
		t.Errorf("Status = %d, want 2004", res.Status)
	}
	if len(res.Output) != MaxOutput || !res.Truncated {
		t.Errorf("kept %d bytes, truncated=%v; want %d, true", len(res.Output), res.Truncated, MaxOutput)
	}
}

func TestBackgroundChildHoldingPipe(t *testing.T) {
	p := script(t, "sleep 30 &\nexit 0", 0o755)
	start := time.Now()
	res := (&Runner{Path: p, Timeout: 20 * time.Second, WaitDelay: 200 * time.Millisecond}).Run(context.Background())
	if res.Status != 2000 || res.Err != nil {
		t.Errorf("Run = %d, %v; want 2000", res.Status, res.Err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Run waited %v for a background child", el)
	}
}

func TestStatusOf(t *testing.T) {
	for code, want := range map[int]int32{0: 2000, 1: 2001, 127: 2127, 128: 2128, 129: 2129, 130: 2130, 255: 2255, 256: 2128, -1: 2128} {
		if got := StatusOf(code); got != want {
			t.Errorf("StatusOf(%d) = %d, want %d", code, got, want)
		}
	}
}

// readPID reads a pid a script wrote, waiting for the file.
func readPID(t *testing.T, path string) int {
	t.Helper()
	var pid int
	poll.UntilNil(t, poll.Timeout, func() error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if pid, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil || pid <= 0 {
			return fmt.Errorf("no pid in %s: %q", path, b)
		}
		return nil
	})
	return pid
}

func waitDead(t *testing.T, pid int, what string) {
	t.Helper()
	if !poll.Wait(poll.Timeout, func() bool { return !alive(pid) }) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("%s (pid %d) still runs after the script's run", what, pid)
	}
}

// TestBackgroundChildEnded: a script that leaves "sleep 600 &" behind
// (and a grandchild that kept the group) leaves nothing once Run returns.
func TestBackgroundChildEnded(t *testing.T) {
	dir := t.TempDir()
	p := script(t, "sleep 600 &\necho $! > "+dir+"/child.pid\n(sleep 600 & echo $! > "+dir+"/grandchild.pid)\nexit 3", 0o755)
	for i := 0; i < 3; i++ {
		os.Remove(dir + "/child.pid")
		os.Remove(dir + "/grandchild.pid")
		res := (&Runner{Path: p, Timeout: 10 * time.Second}).Run(context.Background())
		if res.Status != 2003 || res.Err != nil {
			t.Fatalf("run %d = %d, %v; want 2003", i, res.Status, res.Err)
		}
		waitDead(t, readPID(t, dir+"/child.pid"), "the background child")
		waitDead(t, readPID(t, dir+"/grandchild.pid"), "the grandchild")
	}
}

// TestSetsidDaemonSurvives: a daemon started with setsid left the group on
// purpose and is not the runner's to end.
func TestSetsidDaemonSurvives(t *testing.T) {
	if _, err := os.Stat("/usr/bin/setsid"); err != nil {
		t.Skip("setsid (util-linux) not installed")
	}
	dir := t.TempDir()
	// In the foreground: setsid (not a group leader, so it does not fork)
	// makes the new session itself, and the daemon is in it before the
	// script goes on. `setsid -f` or `setsid ... &` would race the kill.
	p := script(t, "setsid sh -c 'sleep 600 </dev/null >/dev/null 2>&1 & echo $! > "+dir+"/daemon.pid'\nexit 0", 0o755)
	res := (&Runner{Path: p, Timeout: 10 * time.Second}).Run(context.Background())
	if res.Status != 2000 {
		t.Fatalf("Run = %d, %v", res.Status, res.Err)
	}
	pid := readPID(t, dir+"/daemon.pid")
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if !alive(pid) {
		t.Errorf("the setsid daemon %d was ended with the script's group", pid)
	}
}

// TestRunGarbage: a run leaves little garbage in osm (it runs every
// status interval for the daemon's life): the output is read straight
// into what is kept, not through io.Copy's 32 kB buffer.
func TestRunGarbage(t *testing.T) {
	p := script(t, "echo running", 0o755)
	r := &Runner{Path: p, Timeout: 20 * time.Second}
	r.Run(context.Background())
	const runs = 5
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if res := r.Run(context.Background()); res.Status != 2000 || string(res.Output) != "running\n" {
			t.Fatalf("Status %d, output %q (%v)", res.Status, res.Output, res.Err)
		}
	}
	runtime.ReadMemStats(&after)
	env := len(strings.Join(os.Environ(), ""))
	if per := int(after.TotalAlloc-before.TotalAlloc) / runs; per > 16<<10+4*env {
		t.Errorf("%d bytes allocated per run, want at most 16 kB and 4x the environment (%d bytes)", per, env)
	}
}
