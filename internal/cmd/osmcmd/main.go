// Package osmcmd is the command osm, the LuoYun registrar: it keeps the
// instance registered with the Cloud Controller and reports the application status.
//
//	osm [-c/--config FILE] [-l/--log FILE] [-s/--script DIR] [--state FILE]
//	    [--settings FILE] [--debug] [--version] [-h]
//
// SIGTERM/SIGINT stop it (exit 0); SIGHUP re-reads luoyun.conf.
//
// `osm clc ...` is the controller simulator; see clc.go and docs/osm.md.
// `osm status ...` is the instance's health report; see status.go.
package osmcmd

import (
	"context"
	"errors"
	"io"

	"github.com/luoyun/osmanager/pkg/cli"
)

// Main runs the osm command with args (the arguments after the program
// name) until ctx ends and returns its exit status; cmd/osm and the
// multicall binary cmd/luoyun call it.
func Main(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	err := run(ctx, args, stdout, stderr)
	var st exitStatus
	if errors.As(err, &st) {
		return int(st) // osm status: the report says why
	}
	name := "osm"
	if len(args) > 0 && args[0] == "clc" {
		name = "osm clc" // its errors read "osm clc: ..."
	}
	return cli.ExitCode(name, err, stderr)
}
