// Command web serves the appliance's page (port 8080): www/withcookie/ to
// a request whose ?cookie= matches the instance's cookie, www/nocookie/
// to anything else, with $hostname, $application, $version1, $version2,
// $curtime and more substituted in HTML pages.
//
// Usage:
//
//	web [-c/--config FILE] [-l/--log FILE] [-w/--web DIR] [-p/--port N]
//	    [--build DIR] [--state FILE] [--listen-addr ADDR] [--settings FILE]
//	    [--debug] [--version] [-h] [PORT]
//
// The port may also be given as a bare argument, `web 8080`, as the
// original lyweb.py was started. See docs/web.md.
package web

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/luoyun/osmanager/pkg/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(cli.ExitCode("web", err, os.Stderr))
}
