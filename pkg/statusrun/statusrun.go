// Package statusrun runs the appliance's status script
// (custom/scripts/status) and turns its exit code into the application
// status reported to the controller: 2000 + code for 0..127, 2128
// (unknown) when the script is missing, cannot run, is killed by a signal,
// exits with a code above 127, or outlives its timeout. A timed-out script
// is killed with its whole process group.
package statusrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/luoyun/osmanager/pkg/clcproto"
)

// MaxOutput is how much of the script's combined output is kept.
const MaxOutput = 64 << 10

// Runner runs one script.
type Runner struct {
	// Path is the script.
	Path string
	// Timeout kills the script (and its process group) after this long.
	Timeout time.Duration
	// WaitDelay bounds how long to wait for the output pipe after the
	// script exits (a background child may hold it); 1 s when zero.
	WaitDelay time.Duration
}

// Result is the outcome of one run.
type Result struct {
	// Status is the application status to report.
	Status int32
	// ExitCode is the script's exit code, -1 when it did not exit normally.
	ExitCode int
	// Output is the start of the combined stdout and stderr, at most
	// MaxOutput bytes.
	Output []byte
	// Truncated reports whether output beyond MaxOutput was dropped.
	Truncated bool
	// Err explains a 2128 (missing, not executable, timeout, signal).
	Err error
	// Missing reports whether the script does not exist or is not
	// executable (callers log that once, not every interval).
	Missing bool
	// TimedOut reports whether the script was killed at the timeout.
	TimedOut bool
	// Duration is how long the run took.
	Duration time.Duration
}

// ErrTimeout is Result.Err of a script killed at the timeout.
var ErrTimeout = errors.New("status script timed out")

// Run runs the script once. Cancelling ctx kills it like a timeout.
func (r *Runner) Run(ctx context.Context) Result {
	start := time.Now()
	res := r.run(ctx)
	res.Duration = time.Since(start)
	return res
}

func (r *Runner) run(ctx context.Context) Result {
	unknown := Result{Status: clcproto.AppUnknown, ExitCode: -1}
	st, err := os.Stat(r.Path)
	switch {
	case err != nil:
		unknown.Err, unknown.Missing = fmt.Errorf("status script: %w", err), true
		return unknown
	case !st.Mode().IsRegular():
		unknown.Err, unknown.Missing = fmt.Errorf("status script %s: not a regular file", r.Path), true
		return unknown
	case st.Mode().Perm()&0o111 == 0:
		unknown.Err, unknown.Missing = fmt.Errorf("status script %s: %w", r.Path, fs.ErrPermission), true
		return unknown
	}
	tctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	out := &capped{max: MaxOutput}
	cmd := exec.CommandContext(tctx, r.Path)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// Kill the whole group: the script and everything it started.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = r.WaitDelay
	if cmd.WaitDelay <= 0 {
		cmd.WaitDelay = time.Second
	}
	err = cmd.Run()
	res := Result{Output: out.buf.Bytes(), Truncated: out.dropped, ExitCode: cmd.ProcessState.ExitCode()}
	if tctx.Err() != nil {
		// Children that escaped the kill by changing group are not ours;
		// make sure the group is gone even if the leader exited first.
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		res.Status, res.ExitCode, res.TimedOut = clcproto.AppUnknown, -1, true
		res.Err = fmt.Errorf("%w after %s", ErrTimeout, r.Timeout)
		if ctx.Err() != nil {
			res.Err = ctx.Err()
		}
		return res
	}
	var ee *exec.ExitError
	switch {
	case err == nil || errors.Is(err, exec.ErrWaitDelay) || errors.As(err, &ee) && res.ExitCode >= 0:
		// ErrWaitDelay: it exited, but a background child kept the pipe.
		res.Status = StatusOf(res.ExitCode)
		if res.ExitCode > 127 {
			res.Err = fmt.Errorf("status script exited %d (above 127)", res.ExitCode)
		}
	case errors.As(err, &ee):
		res.Status = clcproto.AppUnknown
		res.Err = fmt.Errorf("status script: %s", ee.ProcessState.String())
	default:
		res.Status, res.Missing = clcproto.AppUnknown, errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist)
		res.Err = fmt.Errorf("status script: %w", err)
	}
	return res
}

// StatusOf maps an exit code to an application status: 2000 + code for
// 0..127, 2128 otherwise.
func StatusOf(code int) int32 {
	if code < 0 || code > 127 {
		return clcproto.AppUnknown
	}
	return clcproto.AppRunning + int32(code)
}

// capped keeps the first max bytes written and counts the rest away, so a
// flooding script neither blocks nor fills memory.
type capped struct {
	max     int
	buf     bytes.Buffer
	dropped bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		if len(p) > room {
			c.buf.Write(p[:room])
			c.dropped = true
		} else {
			c.buf.Write(p)
		}
	} else if len(p) > 0 {
		c.dropped = true
	}
	return len(p), nil
}
