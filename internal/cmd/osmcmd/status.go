package osmcmd

import (
	"context"
	"io"

	"github.com/luoyun/osmanager/pkg/cli"
	"github.com/luoyun/osmanager/pkg/health"
)

const statusAbout = `Shows the instance's health in one place (what osmanager.sh status runs):
the steps of the last boot (floppy, osc, config, the daemons' starts) with
when and their outcome; per daemon (web, webssh, osm) whether it runs, its
pid, uptime and listen addresses, or its last output when it does not; the
registrar's state, controller, TAG, last report and the status script's
last output. --json gives the same as JSON (docs/integration.md lists the
keys). Exit status 0 when every daemon asked about runs, 3 otherwise.`

// notRunning is the LSB exit status of "status" when a daemon does not run.
const notRunning = 3

// exitStatus is an error that only sets the exit status; main prints
// nothing for it.
type exitStatus int

func (e exitStatus) Error() string { return "exit status" }

// runStatus is `osm status`.
func runStatus(_ context.Context, args []string, stdout io.Writer) error {
	c := cli.New("osm status", "[--dir DIR] [--json] [web|webssh|osm ...]", statusAbout)
	dir := c.Flags.String("dir", "/LuoYun", "the tree (LUOYUN_DIR)")
	state := c.Flags.String("state", "", "the registrar's state file (default DIR/run/osm.json)")
	asJSON := c.Flags.Bool("json", false, "write JSON")
	if done, err := c.Parse(args, stdout); done || err != nil {
		return err
	}
	names, err := daemonNames(c.Flags.Args())
	if err != nil {
		return err
	}
	r := health.Collect(health.Options{Dir: *dir, StateFile: *state, Names: names})
	write := r.WriteText
	if *asJSON {
		write = r.WriteJSON
	}
	if err := write(stdout); err != nil {
		return err
	}
	if !r.AllRunning() {
		return exitStatus(notRunning)
	}
	return nil
}

// daemonNames checks that each of names is a daemon of the tree.
func daemonNames(names []string) ([]string, error) {
	for _, n := range names {
		switch n {
		case "web", "webssh", "osm":
		default:
			return nil, cli.Usagef("unknown component %q (web, webssh, osm)", n)
		}
	}
	return names, nil
}
