package statusrun

import (
	"context"
	"time"

	"github.com/luoyun/osmanager/pkg/clock"
)

// Pauses between the runs of RunGrace: the first, and the longest.
const (
	firstPause = 50 * time.Millisecond
	maxPause   = 400 * time.Millisecond
)

// RunGrace runs the script as Run does and, while it fails, runs it again
// until grace has passed since the first run started: at boot the
// application a status script checks may not serve yet (osm and web start
// together), and a failure then says nothing. A run that succeeds ends
// it; so does a missing script or one killed at the timeout, which a
// retry would not change. All runs together stay within r.Timeout: a
// retry gets only what is left of it, and a retry cut short by that
// returns the failure before it (not 2128). Result.Runs counts the runs;
// Duration covers them all. grace <= 0 runs the script once.
func (r *Runner) RunGrace(ctx context.Context, grace time.Duration) Result {
	c := clock.Or(r.Clock)
	start := c.Now()
	grace = min(grace, r.Timeout)
	res := r.Run(ctx)
	res.Runs = 1
	for pause := firstPause; retry(res) && ctx.Err() == nil; pause = min(2*pause, maxPause) {
		if c.Now().Sub(start)+pause >= grace {
			break
		}
		_ = clock.Sleep(ctx, c, pause) // ctx.Err() is checked next
		left := r.Timeout - c.Now().Sub(start)
		if ctx.Err() != nil || left <= 0 {
			break
		}
		again := (&Runner{Path: r.Path, Timeout: left, WaitDelay: r.WaitDelay, Clock: r.Clock}).Run(ctx)
		if again.TimedOut {
			break // cut short by the bound, not the script's own verdict
		}
		again.Runs = res.Runs + 1
		res = again
	}
	res.Duration = c.Now().Sub(start)
	return res
}

// retry reports whether a result is a failure that running the script
// again may change.
func retry(res Result) bool {
	return !(res.Err == nil && res.ExitCode == 0) && !res.Missing && !res.TimedOut
}
