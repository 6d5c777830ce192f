// Command webssh is the instance's web terminal: a page with xterm.js whose
// websocket runs the login command (default /bin/login) on a fresh pseudo
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
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/luoyun/osmanager/pkg/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if len(os.Args) > 1 && os.Args[1] == "login" {
		err = runLogin(os.Stdin, os.Stdout) // the login front on a session's terminal
	} else {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	os.Exit(cli.ExitCode("webssh", err, os.Stderr))
}
