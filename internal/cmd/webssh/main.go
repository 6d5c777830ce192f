// Package webssh is the command webssh, the instance's web terminal: a
// page with xterm.js whose websocket runs the login command (default /bin/login) on a fresh pseudo
// terminal per browser. It replaces the original's shellinaboxd.
//
// Usage:
//
//	webssh [-c/--config FILE] [-p/--port N] [-l/--log FILE] [--listen-addr ADDR]
//	       [--settings FILE] [--debug] [--version] [-h]
//	webssh login    (the login front webssh runs on each session's terminal)
//
// The port is -p, else JSON webssh.port of luoyun.conf, else the
// settings' webssh.port (8001): settings.WebSSHPort, the rule web uses
// for the page's $websshport. JSON webssh.status "disable" prints
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
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var err error
	if len(args) > 0 && args[0] == "login" {
		err = runLogin(stdin, stdout) // the login front on a session's terminal
	} else {
		err = run(ctx, args, stdout, stderr)
	}
	return cli.ExitCode("webssh", err, stderr)
}
