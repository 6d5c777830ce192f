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

// MainFunc is a command's entry point (internal/cmd/NAMEcmd.Main): it runs
// the command with args, the arguments after the program name, until ctx
// ends, and returns the process exit status, having written any error to
// stderr.
type MainFunc func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// StopGrace is how long a command has to return after SIGINT or SIGTERM
// cancelled its context (daemons end their sessions and write their
// state) before Run ends the process with the signal's default action.
const StopGrace = 10 * time.Second

// Run calls main with the process's arguments and standard files and a
// context that SIGINT and SIGTERM cancel, and returns the exit status for
// os.Exit. It is the whole of each cmd/NAME/main.go.
//
// A signal ends the process at any point: once the context is cancelled
// the signals have their default action again (a second one ends the
// process at once), and a command still running StopGrace later, blocked
// in a system call that ignores the context, is ended by SIGTERM, with
// one line on stderr.
func Run(main MainFunc) int {
	return run(main, os.Args, StopGrace)
}

func run(main MainFunc, argv []string, grace time.Duration) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	force := context.AfterFunc(ctx, func() {
		stop() // default action again: a second signal ends the process
		time.AfterFunc(grace, func() {
			fmt.Fprintf(os.Stderr, "%s: still running %s after the signal; ended\n", filepath.Base(argv[0]), grace)
			_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		})
	})
	defer force()
	return main(ctx, argv[1:], os.Stdin, os.Stdout, os.Stderr)
}
