package floppyconfcmd

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFIFONeverHangs: floppyconf with a directory source whose luoyun.ini
// is a FIFO refuses it at once, in one line, exit 1. (SIGTERM ending a
// floppyconf blocked on a FIFO: integration TestSIGTERMEndsBlockedBinaries.)
func TestFIFONeverHangs(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "luoyun.ini"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), "-d", dir, "-c", filepath.Join(t.TempDir(), "luoyun.conf"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("floppyconf still reading the FIFO after 20 s")
	}
	status := cmd.ProcessState.ExitCode()
	if status != 1 || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), "luoyun.ini: not a regular file (a FIFO); refused") {
		t.Errorf("exit %d (%v), stderr %q: want 1 and one line refusing the FIFO", status, err, stderr.String())
	}
}
