// Command luoyun is the OS manager's one-binary flavour (make MULTICALL=1):
// floppyconf, osc, osm, web and webssh in one static binary, installed as
// bin/luoyun with the five names as symbolic links to it. It runs the
// command named by the base name of argv[0], so bin/osm runs osm exactly as
// the separate binary would (options, logs, exit status, --version); run
// as luoyun, the first argument names the command:
//
//	luoyun osm --version
//
// Three daemons of one binary share its code pages: see "Idle memory" in
// docs/integration.md.
package main

import (
	"fmt"
	"os"

	"github.com/luoyun/osmanager/internal/multicall"
	"github.com/luoyun/osmanager/pkg/cli"
)

func main() {
	m, args, err := multicall.Lookup(os.Args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "luoyun:", err)
		os.Exit(cli.ExitUsage)
	}
	os.Args = args
	os.Exit(cli.Run(m))
}
