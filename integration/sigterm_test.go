package integration

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMEndsBlockedBinaries: each binary blocked reading a FIFO
// nobody writes (its settings file; for floppyconf --make's ini) ends on
// SIGTERM, at most 10 s later (pkg/cli), with one line on stderr.
func TestSIGTERMEndsBlockedBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 10 s per binary, in parallel")
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := binDir(t)
	for name, args := range map[string][]string{
		"floppyconf": {"--make", filepath.Join(dir, "img"), "-i", fifo},
		"osc":        {"--settings", fifo, "--root", dir, "--dry-run", "-c", filepath.Join(dir, "none.conf")},
		"osm":        {"--settings", fifo},
		"web":        {"--settings", fifo},
		"webssh":     {"--settings", fifo},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(filepath.Join(bin, name), args...)
			var stderr bytes.Buffer // read only after Wait
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
				t.Fatalf("%s %q ended before the signal (%s): not blocked on the FIFO", name, args, stderr.String())
			case <-time.After(time.Second):
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("%s: still running 30 s after SIGTERM", name)
			}
			if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
				t.Errorf("%s: %v, want ended by SIGTERM", name, cmd.ProcessState)
			}
			t.Logf("%s: %s", name, stderr.String())
		})
	}
}
