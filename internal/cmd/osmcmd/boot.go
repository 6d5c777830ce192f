package osmcmd

import (
	"context"
	"io"
	"time"

	"github.com/luoyun/osmanager/pkg/bootstep"
	"github.com/luoyun/osmanager/pkg/cli"
)

const bootAbout = `The steps of osmanager.sh's boot chain, each logged line by line on
stdout and in DIR/log/osmanager.log, and recorded in DIR/run/boot with
--record (what "osmanager.sh status" shows):

  begin [--root ROOT]     open a new boot record
  run NAME [options] -- COMMAND [ARGS]
                          run COMMAND to its end: --timeout D (SIGTERM, then
                          SIGKILL 2 s later), --needs FILE (skipped when FILE
                          is missing or empty), --keep FILE (on failure, go on
                          with an existing FILE), --optional (no COMMAND: skip),
                          --last (the summary is its last line), --cd DIR
  start NAME [--timeout D] [--needs FILE] -- COMMAND [ARGS]
                          start a daemon: COMMAND --background, which returns
                          once it is ready; its pid file is DIR/run/NAME.pid
  end [--osconfig] FAILED close the record: ok (FAILED 0) or failed
  settings                log every mistake in DIR/custom/osmanager.toml
                          (begin does too), whatever its section

Exit status 1 when the step failed.`

// runBoot is `osm boot`.
func runBoot(ctx context.Context, args []string, stdout io.Writer) error {
	c := cli.New("osm boot", "[--dir DIR] [--record] begin|run|start|end|settings ...", bootAbout)
	dir := c.Flags.String("dir", "/LuoYun", "the tree (LUOYUN_DIR)")
	record := c.Flags.Bool("record", false, "record the step in DIR/run/boot")
	c.Flags.SetInterspersed(false)
	if done, err := c.Parse(args, stdout); done || err != nil {
		return err
	}
	rest := c.Flags.Args()
	if len(rest) == 0 {
		return c.Usagef("begin, run, start or end?")
	}
	verb := cli.New("osm boot "+rest[0], "[options] ...", bootAbout)
	fl := verb.Flags
	timeout := fl.Duration("timeout", 0, "time limit (0: none; start: 5s)")
	needs := fl.String("needs", "", "a file the step needs")
	keep := fl.String("keep", "", "run: the file an earlier boot wrote, to go on with")
	optional := fl.Bool("optional", false, "run: a missing COMMAND skips the step")
	last := fl.Bool("last", false, "run: the summary is the last output line")
	cd := fl.String("cd", "", "run: the directory COMMAND runs in")
	root := fl.String("root", "/", "begin: the root osc edits")
	osconfig := fl.Bool("osconfig", false, "begin, end: osconfig (floppy and osc), not the whole chain")
	if done, err := verb.Parse(rest[1:], stdout); done || err != nil {
		return err
	}
	a := fl.Args()
	ch := bootstep.New(*dir, *record, stdout)
	defer ch.Close()
	ok := true
	switch rest[0] {
	case "begin":
		ch.Begin(*root, *osconfig)
		ch.CheckSettings()
	case "settings":
		ch.CheckSettings()
	case "end":
		if len(a) != 1 || (a[0] != "0" && a[0] != "1") {
			return verb.Usagef("end takes FAILED, 0 or 1")
		}
		ch.End(a[0] == "1", *osconfig)
		ok = a[0] == "0"
	case "run", "start":
		if len(a) < 2 {
			return verb.Usagef("NAME and a COMMAND")
		}
		if rest[0] == "run" {
			ok = ch.RunStep(ctx, bootstep.Step{Name: a[0], Cmd: a[1:], Timeout: *timeout, Needs: *needs,
				Keep: *keep, Optional: *optional, Last: *last, Cd: *cd})
			break
		}
		if *timeout == 0 {
			*timeout = 5 * time.Second
		}
		ok = ch.Start(ctx, bootstep.Daemon{Name: a[0], Cmd: a[1:], Needs: *needs, Timeout: *timeout})
	default:
		return c.Usagef("unknown step verb %q (begin, run, start, end, settings)", rest[0])
	}
	if !ok {
		return exitStatus(1)
	}
	return nil
}

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
	names := c.Flags.Args()
	for _, n := range names {
		switch n {
		case "web", "webssh", "osm":
		default:
			return cli.Usagef("unknown component %q (web, webssh, osm)", n)
		}
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
