package bootstep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/luoyun/osmanager/pkg/bootlog"
	"github.com/luoyun/osmanager/pkg/cli"
)

// Step is a command run once, to its end.
type Step struct {
	// Name is the step's name in the log and the record (floppy, osc,
	// config).
	Name string
	// Cmd is the command and its arguments.
	Cmd []string
	// Timeout ends the command (SIGTERM, then SIGKILL after KillAfter);
	// 0 for no limit.
	Timeout time.Duration
	// Needs is a file the step needs: missing or empty, the step is
	// skipped, as a failure.
	Needs string
	// Keep is a file the step writes: when the step fails and an older
	// one is there, the chain goes on with it (a warning).
	Keep string
	// Optional: a command that is not there or not executable skips the
	// step, not a failure.
	Optional bool
	// Last: the step's summary in the record is its last output line
	// ("done" otherwise, logged too).
	Last bool
	// Cd is the directory the command runs in ("" for the caller's).
	Cd string
}

// KillAfter is how long a step's command has after SIGTERM before
// SIGKILL.
const KillAfter = 2 * time.Second

// RunStep runs s and logs and records its outcome; it reports whether
// the step did not fail.
func (c *Chain) RunStep(ctx context.Context, s Step) bool {
	if s.Needs != "" && !nonEmpty(s.Needs) {
		c.Log.Printf(bootlog.Error, s.Name+": skipped: no "+s.Needs)
		c.record(s.Name, bootlog.Skipped, "no "+s.Needs)
		return false
	}
	if len(s.Cmd) == 0 || !executable(s.Cmd[0]) {
		exe := strings.Join(s.Cmd[:min(1, len(s.Cmd))], "")
		if s.Optional {
			c.Log.Printf(bootlog.Info, s.Name+": skipped: no executable "+exe)
			c.record(s.Name, bootlog.Skipped, "no executable "+exe)
			return true
		}
		c.Log.Printf(bootlog.Error, s.Name+": skipped: "+exe+" is missing or not executable")
		c.record(s.Name, bootlog.Failed, exe+" is missing or not executable")
		return false
	}
	out, how := c.run(ctx, s)
	prog := filepath.Base(s.Cmd[0])
	last := lastLine(prog, out)
	switch {
	case how == "":
		if s.Last && out == "" {
			out = "ok"
		}
		n := c.lines(bootlog.Info, s.Name, prog, out, false)
		if s.Last {
			c.record(s.Name, bootlog.OK, lastLine(prog, out)+bootlog.Warned(n))
			return true
		}
		c.Log.Printf(bootlog.Info, s.Name+": done")
		c.record(s.Name, bootlog.OK, "done"+bootlog.Warned(n))
		return true
	case s.Keep != "" && nonEmpty(s.Keep):
		c.lines(bootlog.Warn, s.Name, prog, out, false)
		c.Log.Printf(bootlog.Warn, fmt.Sprintf("%s: failed (%s); going on with the existing %s", s.Name, how, s.Keep))
		c.record(s.Name, bootlog.Warning, fmt.Sprintf("failed (%s): %s; going on with the existing %s", how, last, s.Keep))
		return true
	case s.Keep != "":
		c.lines(bootlog.Error, s.Name, prog, out, false)
		c.Log.Printf(bootlog.Error, fmt.Sprintf("%s: failed (%s) and there is no %s", s.Name, how, s.Keep))
		c.record(s.Name, bootlog.Failed, fmt.Sprintf("failed (%s): %s; no %s", how, last, s.Keep))
		return false
	}
	c.lines(bootlog.Info, s.Name, prog, out, false)
	c.Log.Printf(bootlog.Error, fmt.Sprintf("%s: failed (%s)", s.Name, how))
	c.record(s.Name, bootlog.Failed, fmt.Sprintf("failed (%s): %s", how, last))
	return false
}

// run runs the step's command, its output through a file (a service the
// command leaves in the background may keep a pipe open for good). how
// is "" on success, else "exit N" or "timed out after D".
func (c *Chain) run(ctx context.Context, s Step) (out, how string) {
	f, err := os.CreateTemp(c.Run(), "."+s.Name+".out-")
	if err != nil {
		return err.Error(), "exit 1"
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	if m := c.builtin(s); m != nil {
		return c.runHere(ctx, s, m, f)
	}
	cmd := exec.CommandContext(ctx, s.Cmd[0], s.Cmd[1:]...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = s.Cd, f, f
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = KillAfter
	err = cmd.Run()
	data, _ := os.ReadFile(f.Name())
	out = string(data)
	var ee *exec.ExitError
	switch {
	case s.Timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return out, "timed out after " + s.Timeout.String()
	case errors.As(err, &ee):
		code := ee.ExitCode()
		if code < 0 {
			return out, "killed by " + ee.String()
		}
		return out, fmt.Sprintf("exit %d", code)
	case err != nil:
		return out + "\n" + err.Error(), "exit 1"
	}
	return out, ""
}

// lines logs each line of out at level as "name: ...", without the
// program prog's own "prog: ", a warning at WARN; it returns the number
// of warnings. skipSettings leaves out the settings warnings another
// step reports.
func (c *Chain) lines(level, name, prog, out string, skipSettings bool) int {
	warnings := 0
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimRight(l, "\r"); l == "" {
			continue
		}
		text, warning := bootlog.OwnLine(prog, l)
		switch {
		case warning && skipSettings && strings.HasPrefix(text, "ignoring a mistake in settings "):
		case warning:
			warnings++
			c.Log.Printf(bootlog.Warn, name+": "+text)
		default:
			c.Log.Printf(level, name+": "+text)
		}
	}
	return warnings
}

// lastLine is the last non-empty line of out, without prog's "prog: ".
func lastLine(prog, out string) string {
	ls := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(ls) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(ls[i]); l != "" {
			text, _ := bootlog.OwnLine(prog, l)
			return text
		}
	}
	return ""
}

// builtin is the command linked into this process that s runs, or nil:
// s's command must be the tree's own bin/NAME, an executable of the
// build (ELF: a script put in its place, such as a test's stand-in, is
// run as a process), and s must not need a directory of its own (the
// process has one).
func (c *Chain) builtin(s Step) cli.MainFunc {
	if s.Cd != "" || len(c.Builtins) == 0 {
		return nil
	}
	name := filepath.Base(s.Cmd[0])
	m := c.Builtins[name]
	if m == nil || filepath.Clean(s.Cmd[0]) != filepath.Join(c.Dir, "bin", name) || !isELF(s.Cmd[0]) {
		return nil
	}
	return m
}

// isELF reports whether path starts as an ELF file does.
func isELF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [4]byte
	_, err = io.ReadFull(f, b[:])
	return err == nil && string(b[:]) == "\x7fELF"
}

// runHere runs the builtin m as run would run s's command, its output
// in out. ctx carries s's time limit: past it (and KillAfter, as a
// process has after SIGTERM), the step is reported timed out and the
// chain goes on; m goes on until it returns, as a process would that
// ignores both signals (the builtins stop at ctx's end, except inside a
// blocking read of a device). A panic is the step's failure, not the
// chain's.
func (c *Chain) runHere(ctx context.Context, s Step, m cli.MainFunc, out *os.File) (string, string) {
	code := make(chan int, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				fmt.Fprintf(out, "%s: internal error: %v\n", filepath.Base(s.Cmd[0]), p)
				code <- 2
			}
		}()
		code <- m(ctx, s.Cmd[1:], strings.NewReader(""), out, out)
	}()
	var n int
	select {
	case n = <-code:
	case <-ctx.Done():
		t := time.NewTimer(KillAfter)
		defer t.Stop()
		select {
		case n = <-code:
		case <-t.C:
			n = -1
		}
	}
	data, _ := os.ReadFile(out.Name())
	switch {
	case s.Timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return string(data), "timed out after " + s.Timeout.String()
	case n < 0:
		return string(data), "stopped"
	case n != 0:
		return string(data), fmt.Sprintf("exit %d", n)
	}
	return string(data), ""
}
