package floppyconf

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFIFONeverHangs: floppyconf with a luoyun.ini that is a FIFO refuses
// it at once in one line; and floppyconf blocked reading a FIFO (--make -i
// FIFO) ends on SIGTERM.
func TestFIFONeverHangs(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "luoyun.ini"), 0o600); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "luoyun.conf")
	t.Run("directory source", func(t *testing.T) {
		stderr, status := runThenTerm(t, "-d", dir, "-c", dest)
		if status != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "luoyun.ini: not a regular file (a FIFO); refused") {
			t.Errorf("exit %d, stderr %q: want 1 and one line refusing the FIFO", status, stderr)
		}
	})
	t.Run("make from a FIFO", func(t *testing.T) {
		_, status := runThenTerm(t, "--make", filepath.Join(t.TempDir(), "img"), "-i", filepath.Join(dir, "luoyun.ini"))
		if status != 128+int(syscall.SIGTERM) {
			t.Errorf("exit %d: want ended by SIGTERM", status)
		}
	})
}

// runThenTerm runs floppyconf with args; if it still runs after a second
// it sends SIGTERM, and it fails the test unless floppyconf then ends
// within 30 s. It returns stderr and the exit status (128+signal when a
// signal ended it).
func runThenTerm(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("floppyconf %s: still running 30 s after SIGTERM", strings.Join(args, " "))
		}
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return stderr.String(), 128 + int(ws.Signal())
	}
	return stderr.String(), ws.ExitStatus()
}
