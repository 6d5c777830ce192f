// Package websshcmd is the command webssh, the instance's web terminal: a
// page with xterm.js whose websocket runs the login command (default /bin/login) on a fresh pseudo
// terminal per browser. It replaces the original's shellinaboxd.
//
// Usage:
//
//	webssh [-c/--config FILE] [-p/--port N] [-l/--log FILE] [--listen-addr ADDR]
//	       [--settings FILE] [--debug] [--version] [-h]
//	webssh login    (the login front webssh runs on each session's terminal)
//	webssh get FILE...   (in a web terminal: hand files to the browser)
//
// The port is -p, else JSON webssh.port of luoyun.conf, else the
// settings' webssh.port (8001): settings.WebSSHPort, the rule web uses
// for the page's $websshport. JSON webssh.status "disable" prints
// "web ssh disabled" and exits 0.
package websshcmd

import (
	"context"
	"errors"
	"io"

	"github.com/luoyun/osmanager/pkg/cli"
	"github.com/luoyun/osmanager/pkg/filexfer"
)

// Main runs the webssh command with args (the arguments after the program
// name) until ctx ends and returns its exit status; cmd/webssh and the
// multicall binary cmd/luoyun call it.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var err error
	switch {
	case len(args) > 0 && args[0] == "login":
		err = runLogin(stdin, stdout) // the login front on a session's terminal
	case len(args) > 0 && args[0] == filexfer.GetVerb:
		err = runGet(args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == filexfer.PutVerb:
		// The upload helper, run by webssh as the logged-in user.
		return filexfer.RunPut(args[1:], stdin, stdout, stderr)
	default:
		err = run(ctx, args, stdout, stderr)
	}
	if errors.Is(err, errGetFailed) {
		return cli.ExitFailure // each file's error is said
	}
	return cli.ExitCode("webssh", err, stderr)
}
