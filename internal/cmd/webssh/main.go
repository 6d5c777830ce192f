// Package webssh is the command webssh, the instance's web terminal: a
// page with xterm.js whose websocket runs the login command (default /bin/login) on a fresh pseudo
// terminal per browser. It replaces the original's shellinaboxd.
//
// Usage:
//
//	webssh [-c/--config FILE] [-p/--port N] [-l/--log FILE] [--listen-addr ADDR]
//	       [--settings FILE] [--debug] [--version] [-h]
//
// The port is -p, else JSON webssh.port of luoyun.conf, else the
// settings' webssh.port (8001). JSON webssh.status "disable" prints
// "web ssh disabled" and exits 0.
package webssh

import (
	"context"
	"io"

	"github.com/luoyun/osmanager/pkg/cli"
)

// Main runs the webssh command with args (the arguments after the program
// name) until ctx ends and returns its exit status; cmd/webssh and the
// multicall binary cmd/luoyun call it.
func Main(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return cli.ExitCode("webssh", run(ctx, args, stdout, stderr), stderr)
}
