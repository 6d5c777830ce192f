// Package bootcmd is the command line of osmanager.sh's boot chain, run
// as osc's verb:
//
//	osc boot [--dir DIR] [--record] STEP [\; STEP ...]
//
// Its steps (begin, run, start, end, settings) are described by
// "osc boot --help"; the work is done by pkg/bootstep. A run step whose
// command is the tree's own bin/NAME for a NAME in the builtins (osc
// passes floppyconf and itself) runs in this process: no process start.
package bootcmd

import (
	"context"
	"errors"
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
  start NAME [--timeout D] [--needs FILE] [--or-null FILE] -- COMMAND [ARGS]
                          start a daemon: COMMAND --background, which returns
                          once it is ready; its pid file is DIR/run/NAME.pid;
                          --or-null: an argument FILE is /dev/null when FILE
                          does not exist as it starts
  end [--osconfig] [FAILED]
                          close the record: ok (FAILED 0) or failed; without
                          FAILED, failed when a step before it in this
                          process failed
  settings                log every mistake in DIR/custom/osmanager.toml
                          (begin does too), whatever its section

Several steps in one process: each begins with an argument ";" (the
shell's \;), as in "osc boot begin \; run floppy -- CMD \; start web --
CMD \; start osm -- CMD \; end". They run in order; consecutive start
steps start their daemons together and wait for all of them.

Exit status 1 when a step failed.`

// Main is `osc boot` with args (the arguments after "boot"); builtins
// are the commands this binary holds, by name: a run step naming the
// tree's DIR/bin/NAME for one of them calls it here instead of starting
// a process.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, builtins map[string]cli.MainFunc) int {
	err := run(ctx, args, stdout, builtins)
	if errors.Is(err, errFailed) {
		return 1
	}
	return cli.ExitCode("osc boot", err, stderr)
}

// errFailed is a step that failed: exit status 1, its lines already
// logged.
var errFailed = errors.New("a step failed")

func run(ctx context.Context, args []string, stdout io.Writer, builtins map[string]cli.MainFunc) error {
	c := cli.New("osc boot", "[--dir DIR] [--record] STEP [\\; STEP ...]", bootAbout)
	dir := c.Flags.String("dir", "/LuoYun", "the tree (LUOYUN_DIR)")
	record := c.Flags.Bool("record", false, "record the step in DIR/run/boot")
	c.Flags.SetInterspersed(false)
	if done, err := c.Parse(args, stdout); done || err != nil {
		return err
	}
	var steps []bootCmd
	for _, g := range splitSteps(c.Flags.Args()) {
		st, done, err := parseBootStep(g, stdout)
		if done || err != nil {
			return err
		}
		steps = append(steps, st)
	}
	if len(steps) == 0 {
		return c.Usagef("begin, run, start or end?")
	}
	ch := bootstep.New(*dir, *record, stdout)
	defer ch.Close()
	ch.Builtins = builtins
	ok := true
	for i := 0; i < len(steps); i++ {
		if steps[i].verb != "start" {
			ok = steps[i].run(ctx, ch, ok) && ok
			continue
		}
		j := i
		for j < len(steps) && steps[j].verb == "start" {
			j++
		}
		ok = startTogether(ctx, ch, steps[i:j]) && ok
		i = j - 1
	}
	if !ok {
		return errFailed
	}
	return nil
}

// splitSteps cuts args at each ";": the steps of one osc boot.
func splitSteps(args []string) [][]string {
	var out [][]string
	cur := []string{}
	for _, a := range args {
		if a == ";" {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = []string{}
			continue
		}
		cur = append(cur, a)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// bootCmd is one step of osc boot, parsed.
type bootCmd struct {
	verb               string
	a                  []string // the arguments after the options
	timeout            time.Duration
	needs, keep, cd    string
	orNull             string
	root               string
	optional, last, oc bool
	failed             string // end: "0", "1" or "" (the steps before)
}

// parseBootStep parses one step: VERB [options] ARGS.
func parseBootStep(g []string, stdout io.Writer) (st bootCmd, done bool, err error) {
	verb := cli.New("osc boot "+g[0], "[options] ...", bootAbout)
	fl := verb.Flags
	timeout := fl.Duration("timeout", 0, "time limit (0: none; start: 5s)")
	needs := fl.String("needs", "", "a file the step needs")
	keep := fl.String("keep", "", "run: the file an earlier boot wrote, to go on with")
	optional := fl.Bool("optional", false, "run: a missing COMMAND skips the step")
	last := fl.Bool("last", false, "run: the summary is the last output line")
	cd := fl.String("cd", "", "run: the directory COMMAND runs in")
	orNull := fl.String("or-null", "", "start: an argument FILE is /dev/null when FILE does not exist")
	root := fl.String("root", "/", "begin: the root osc edits")
	osconfig := fl.Bool("osconfig", false, "begin, end: osconfig (floppy and osc), not the whole chain")
	if done, err := verb.Parse(g[1:], stdout); done || err != nil {
		return st, done, err
	}
	st = bootCmd{verb: g[0], a: fl.Args(), timeout: *timeout, needs: *needs, keep: *keep, cd: *cd, orNull: *orNull,
		root: *root, optional: *optional, last: *last, oc: *osconfig}
	switch st.verb {
	case "begin", "settings":
	case "end":
		if len(st.a) > 1 || (len(st.a) == 1 && st.a[0] != "0" && st.a[0] != "1") {
			return st, false, verb.Usagef("end takes FAILED, 0 or 1")
		}
		if len(st.a) == 1 {
			st.failed = st.a[0]
		}
	case "run", "start":
		if len(st.a) < 2 {
			return st, false, verb.Usagef("NAME and a COMMAND")
		}
		if st.verb == "start" && st.timeout == 0 {
			st.timeout = 5 * time.Second
		}
	default:
		return st, false, cli.Usagef("unknown step verb %q (begin, run, start, end, settings)", st.verb)
	}
	return st, false, nil
}

// run runs a step other than start; okSoFar is whether the steps before
// it succeeded (end without FAILED). It reports whether it succeeded.
func (st bootCmd) run(ctx context.Context, ch *bootstep.Chain, okSoFar bool) bool {
	switch st.verb {
	case "begin":
		ch.Begin(st.root, st.oc)
		ch.CheckSettings()
	case "settings":
		ch.CheckSettings()
	case "end":
		failed := st.failed == "1" || (st.failed == "" && !okSoFar)
		ch.End(failed, st.oc)
		return !failed
	case "run":
		return ch.RunStep(ctx, bootstep.Step{Name: st.a[0], Cmd: st.a[1:], Timeout: st.timeout, Needs: st.needs,
			Keep: st.keep, Optional: st.optional, Last: st.last, Cd: st.cd})
	}
	return true
}

// startTogether starts the daemons of consecutive start steps together
// and waits for all of them; it reports whether all started.
func startTogether(ctx context.Context, ch *bootstep.Chain, steps []bootCmd) bool {
	ds := make([]bootstep.Daemon, len(steps))
	for i, st := range steps {
		ds[i] = bootstep.Daemon{Name: st.a[0], Cmd: st.a[1:], Needs: st.needs, Timeout: st.timeout, OrNull: st.orNull}
	}
	return ch.StartAll(ctx, ds)
}
