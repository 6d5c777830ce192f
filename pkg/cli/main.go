package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// MainFunc is a command's entry point (internal/cmd/NAME.Main): it runs
// the command with args, the arguments after the program name, until ctx
// ends, and returns the process exit status, having written any error to
// stderr.
type MainFunc func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// StopGrace is how long a command has to end after SIGINT or SIGTERM
// cancelled its context. A command blocked where no context reaches (an
// open(2) of a FIFO, a hung device) is ended then, with exit status 143:
// a signal ends every command at any point.
const StopGrace = 5 * time.Second

// ExitSignalled is the exit status of a command StopGrace ended.
const ExitSignalled = 128 + int(syscall.SIGTERM)

// Run calls main with the process's arguments and standard files and a
// context that SIGINT and SIGTERM cancel, and returns the exit status for
// os.Exit. It is the whole of each cmd/NAME/main.go.
func Run(main MainFunc) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	returned := make(chan struct{})
	defer close(returned) // before stop: the watchdog sees main return first
	go func() {
		select {
		case <-returned:
			return
		case <-ctx.Done():
		}
		select {
		case <-returned:
		case <-time.After(StopGrace):
			fmt.Fprintf(os.Stderr, "%s: still running %s after the signal; exiting\n", filepath.Base(os.Args[0]), StopGrace)
			os.Exit(ExitSignalled)
		}
	}()
	return main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}
