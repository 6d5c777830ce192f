package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// blockedEnv makes the test binary a command blocked in a system call
// that ignores its context: reading a FIFO nobody writes.
const blockedEnv = "CLI_TEST_BLOCKED_ON"

func TestMain(m *testing.M) {
	if fifo := os.Getenv(blockedEnv); fifo != "" {
		os.Exit(run(func(ctx context.Context, _ []string, _ io.Reader, stdout, _ io.Writer) int {
			_, _ = stdout.Write([]byte("blocking\n"))
			_, _ = os.ReadFile(fifo) // blocks in open(2), ctx or not
			return 0
		}, []string{"blocked"}, 300*time.Millisecond))
	}
	os.Exit(m.Run())
}

// TestSignalEndsABlockedCommand: SIGTERM ends a command blocked where its
// context cannot reach, StopGrace (here 300 ms) after the signal.
func TestSignalEndsABlockedCommand(t *testing.T) {
	fifo := t.TempDir() + "/fifo"
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), blockedEnv+"="+fifo)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, len("blocking\n"))
	if _, err := io.ReadFull(out, line); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("still running 30 s after SIGTERM")
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Errorf("exit: %v, want ended by SIGTERM", err)
	}
	if !strings.Contains(stderr.String(), "blocked: still running 300ms after the signal; ended") {
		t.Errorf("stderr %q: want the one line", stderr.String())
	}
}
