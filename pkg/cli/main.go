package cli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// MainFunc is a command's entry point (internal/cmd/NAME.Main): it runs
// the command with args, the arguments after the program name, until ctx
// ends, and returns the process exit status, having written any error to
// stderr.
type MainFunc func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Run calls main with the process's arguments and standard files and a
// context that SIGINT and SIGTERM cancel, and returns the exit status for
// os.Exit. It is the whole of each cmd/NAME/main.go.
func Run(main MainFunc) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}
