package bootstep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/luoyun/osmanager/pkg/bootlog"
	"github.com/luoyun/osmanager/pkg/daemon"
	"github.com/luoyun/osmanager/pkg/procinfo"
)

// Daemon is a daemon to start: Cmd (which takes --pidfile run/NAME.pid)
// is run as a --background start's child would be, osc boot being its
// parent (daemon.Spawn).
type Daemon struct {
	// Name is web, webssh or osm.
	Name string
	// Cmd is the command and its arguments, without --background.
	Cmd []string
	// Needs is a file the daemon needs (see Step.Needs).
	Needs string
	// Timeout is how long it may take to be ready.
	Timeout time.Duration
	// OrNull is a file (luoyun.conf) that, when it does not exist as the
	// daemon starts, is replaced by /dev/null wherever it is an argument
	// of Cmd: the daemon runs without it.
	OrNull string
}

// Pidfile is the daemon name's pid file in the tree.
func (c *Chain) Pidfile(name string) string { return filepath.Join(c.Run(), name+".pid") }

// Start starts d in the background, waits until it is ready, has ended
// or Timeout has passed, and logs and records the outcome; it reports
// whether it did not fail.
func (c *Chain) Start(ctx context.Context, d Daemon) bool {
	if d.Needs != "" && !nonEmpty(d.Needs) {
		c.Log.Printf(bootlog.Error, d.Name+": skipped: no "+d.Needs)
		c.record(d.Name, bootlog.Skipped, "no "+d.Needs)
		return false
	}
	if len(d.Cmd) == 0 || !executable(d.Cmd[0]) {
		exe := strings.Join(d.Cmd[:min(1, len(d.Cmd))], "")
		c.Log.Printf(bootlog.Error, d.Name+": skipped: "+exe+" is missing or not executable")
		c.record(d.Name, bootlog.Failed, exe+" is missing or not executable")
		return false
	}
	if _, err := os.Stat(d.OrNull); d.OrNull != "" && err != nil {
		d.Cmd = slices.Clone(d.Cmd)
		for i, a := range d.Cmd[1:] {
			if a == d.OrNull {
				d.Cmd[i+1] = os.DevNull
			}
		}
	}
	tctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := daemon.Spawn(tctx, daemon.Child{Name: d.Name, Path: d.Cmd[0], Args: d.Cmd, Pidfile: c.Pidfile(d.Name)}, &stdout, &stderr)
	prog := filepath.Base(d.Cmd[0])
	ready, isReady := bootlog.ParseReady(strings.TrimSpace(stdout.String()))
	var ee *daemon.ExitError
	switch {
	case errors.Is(tctx.Err(), context.DeadlineExceeded):
		c.lines(bootlog.Info, d.Name, prog, stderr.String(), true)
		msg := fmt.Sprintf("not up after %s (still running", d.Timeout)
		c.Log.Printf(bootlog.Error, d.Name+": failed: "+msg+"; see run/"+d.Name+".out)")
		c.record(d.Name, bootlog.Failed, msg+")")
		return false
	case err == nil && isReady && ready.Already:
		c.Log.Printf(bootlog.Info, fmt.Sprintf("%s: already running (pid %d)", d.Name, ready.PID))
		return true
	case err == nil && isReady:
		pid, _ := daemon.Find(procinfo.Root, c.Pidfile(d.Name))
		what := fmt.Sprintf("pid %d", pid)
		if ready.Addr != "" {
			what += ", listening " + ready.Addr
		}
		c.Log.Printf(bootlog.Info, d.Name+": started ("+what+")")
		n := c.lines(bootlog.Info, d.Name, prog, stderr.String(), true)
		c.record(d.Name, bootlog.OK, "started ("+what+")"+bootlog.Warned(n))
		return true
	case errors.As(err, &ee) && ee.Code == 0:
		// webssh disabled by the cloud says so and exits 0.
		last := orElse(lastLine(prog, stderr.String()+stdout.String()), "exited at once")
		c.Log.Printf(bootlog.Info, d.Name+": not started: "+last)
		c.record(d.Name, bootlog.Skipped, last)
		return true
	case errors.As(err, &ee):
		last := orElse(lastLine(prog, stderr.String()), "exited at once")
		msg := fmt.Sprintf("%s (exit %d)", last, ee.Code)
		c.Log.Printf(bootlog.Error, d.Name+": failed: "+msg)
		c.record(d.Name, bootlog.Failed, msg)
		return false
	}
	c.Log.Printf(bootlog.Error, d.Name+": failed: "+err.Error())
	c.record(d.Name, bootlog.Failed, err.Error())
	return false
}

func orElse(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// StartAll starts ds together (Start each) and waits for all of them;
// it reports whether all started.
func (c *Chain) StartAll(ctx context.Context, ds []Daemon) bool {
	oks := make([]bool, len(ds))
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() { oks[i] = c.Start(ctx, d) })
	}
	wg.Wait()
	return !slices.Contains(oks, false)
}

// Stop stops the named daemons together (daemon.Stop: SIGTERM, SIGKILL
// after grace) and logs each outcome. A stale pid file is reported and
// removed; nothing is signalled for it.
func (c *Chain) Stop(ctx context.Context, names []string, grace time.Duration) bool {
	res := make([]daemon.Stopping, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() { res[i], errs[i] = daemon.Stop(ctx, procinfo.Root, c.Pidfile(n), grace) })
	}
	wg.Wait()
	ok := true
	for i, n := range names {
		switch {
		case errs[i] != nil:
			c.Log.Printf(bootlog.Error, n+": "+errs[i].Error())
			ok = false
		case res[i].Outcome == daemon.Killed || res[i].Outcome == daemon.Stale:
			c.Log.Printf(bootlog.Warn, n+": "+res[i].String())
		default:
			c.Log.Printf(bootlog.Info, n+": "+res[i].String())
		}
	}
	return ok
}
