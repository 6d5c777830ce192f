// Command osm is the LuoYun registrar: it keeps the instance registered
// with the Cloud Controller and reports the application status.
//
//	osm [-c/--config FILE] [-l/--log FILE] [-s/--script DIR] [--state FILE]
//	    [--settings FILE] [--debug] [--version] [-h]
//
// SIGTERM/SIGINT stop it (exit 0); SIGHUP re-reads luoyun.conf.
//
// `osm clc ...` is the controller simulator; see clc.go and docs/osm.md.
// `osm status ...` is the instance's health report; see status.go.
package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/luoyun/osmanager/pkg/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var st exitStatus
	if errors.As(err, &st) {
		os.Exit(int(st)) // osm status: the report says why
	}
	name := "osm"
	if len(os.Args) > 1 && os.Args[1] == "clc" {
		name = "osm clc" // its errors read "osm clc: ..."
	}
	os.Exit(cli.ExitCode(name, err, os.Stderr))
}
