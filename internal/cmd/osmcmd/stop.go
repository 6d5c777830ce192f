package osmcmd

import (
	"context"
	"io"
	"time"

	"github.com/luoyun/osmanager/pkg/bootstep"
	"github.com/luoyun/osmanager/pkg/cli"
)

// runStop is `osm stop`.
func runStop(ctx context.Context, args []string, stdout io.Writer) error {
	c := cli.New("osm stop", "[--dir DIR] [--timeout D] web|webssh|osm ...",
		`Stops the named daemons of the tree together: SIGTERM to the process its
pid file DIR/run/NAME.pid names, when the identity recorded beside it
(NAME.pid.id: start time and binary) matches; SIGKILL after --timeout. A
pid file naming any other process is reported and removed, never acted
on. Each outcome is logged on stdout and in DIR/log/osmanager.log.`)
	dir := c.Flags.String("dir", "/LuoYun", "the tree (LUOYUN_DIR)")
	grace := c.Flags.Duration("timeout", 5*time.Second, "time from SIGTERM to SIGKILL")
	if done, err := c.Parse(args, stdout); done || err != nil {
		return err
	}
	names, err := daemonNames(c.Flags.Args())
	if err != nil {
		return err
	}
	if len(names) == 0 {
		names = []string{"osm", "webssh", "web"}
	}
	ch := bootstep.New(*dir, false, stdout)
	defer ch.Close()
	if !ch.Stop(ctx, names, *grace) {
		return exitStatus(1)
	}
	return nil
}
