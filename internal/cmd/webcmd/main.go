// Package webcmd is the command web: it serves the appliance's page (port
// 8080): www/withcookie/ to a request whose ?cookie= matches the instance's cookie, www/nocookie/
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
package webcmd

import (
	"context"
	"io"

	"github.com/luoyun/osmanager/pkg/cli"
)

// Main runs the web command with args (the arguments after the program
// name) until ctx ends and returns its exit status; cmd/web and the
// multicall binary cmd/luoyun call it.
func Main(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return cli.ExitCode("web", run(ctx, args, stdout, stderr), stderr)
}
