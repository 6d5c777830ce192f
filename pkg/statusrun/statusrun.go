// Package statusrun runs the appliance's status script
// (custom/scripts/status) and turns its exit code into the application
// status reported to the controller, as the original did: 2000 + code for
// every exit code 0..255 (2129 stopped and 2130 failed are codes a script
// may use on purpose), 2128 (unknown) when the script is missing, cannot
// run, is killed by a signal, or outlives its timeout.
//
// The script runs in a process group of its own. After every run that
// whole group is ended (SIGKILL): a background child the script left
// behind ("sleep 600 &") dies with it instead of piling up one more
// process per interval. A script that must start a daemon detaches it on
// purpose into a session of its own, in the foreground
// (setsid sh -c 'mydaemon &'), before it goes on.
package statusrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/luoyun/osmanager/pkg/clcproto"
	"github.com/luoyun/osmanager/pkg/clock"
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
	// script's group is ended (a daemon it detached with setsid may hold
	// it); 1 s when zero.
	WaitDelay time.Duration
	// Clock times RunGrace's pauses and grace; the real clock when nil.
	// (Timeout and WaitDelay are the real clock's: they bound processes.)
	Clock clock.Clock
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
	// Runs is how many times RunGrace ran the script (Run: 0).
	Runs int
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
	// The output goes through a pipe of our own, not exec's copying
	// goroutine, so that Wait returns when the script exits and the
	// group can be ended before the output is drained.
	pr, pw, err := os.Pipe()
	if err != nil {
		unknown.Err = fmt.Errorf("status script: output pipe: %w", err)
		return unknown
	}
	defer pr.Close()
	cmd := exec.CommandContext(tctx, r.Path)
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// Kill the whole group: the script and everything it started.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	err = cmd.Start()
	pw.Close()
	out := &capped{max: MaxOutput}
	drained := make(chan struct{})
	timedOut := false
	if err == nil {
		go func() { defer close(drained); _, _ = out.ReadFrom(pr) }()
		err = cmd.Wait()
		timedOut = tctx.Err() != nil // not the drain below
		// Whatever the script left in its group goes with it (the group
		// outlives its leader while members remain, so its id is not
		// reused before they are gone).
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		delay := r.WaitDelay
		if delay <= 0 {
			delay = time.Second
		}
		t := time.NewTimer(delay)
		select {
		case <-drained:
		case <-t.C:
			pr.Close() // a detached daemon holds the pipe: stop reading
			<-drained
		}
		t.Stop()
	}
	res := Result{Output: out.buf.Bytes(), Truncated: out.dropped, ExitCode: cmd.ProcessState.ExitCode()}
	if timedOut {
		res.Status, res.ExitCode, res.TimedOut = clcproto.AppUnknown, -1, true
		res.Err = fmt.Errorf("%w after %s", ErrTimeout, r.Timeout)
		if ctx.Err() != nil {
			res.Err = ctx.Err()
		}
		return res
	}
	var ee *exec.ExitError
	switch {
	case err == nil || errors.As(err, &ee) && res.ExitCode >= 0:
		res.Status = StatusOf(res.ExitCode)
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
// 0..255 (as the original), 2128 for -1 (no exit code: killed by a
// signal) or anything out of range.
func StatusOf(code int) int32 {
	if code < 0 || code > 255 {
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

// readSize is how much capped.ReadFrom asks for at a time: a status
// script says a line or two, and io.Copy's 32 kB buffer would be most of
// a run's garbage.
const readSize = 512

// ReadFrom reads r to its end straight into the kept output (growing it
// readSize at a time), and past max into one small scratch buffer.
func (c *capped) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	var scratch []byte
	for {
		var p []byte
		if room := c.max - c.buf.Len(); room > 0 {
			if c.buf.Available() == 0 {
				c.buf.Grow(min(room, readSize))
			}
			p = c.buf.AvailableBuffer()
			p = p[:min(room, cap(p))]
		} else {
			if scratch == nil {
				scratch = make([]byte, readSize)
			}
			p = scratch
		}
		n, err := r.Read(p)
		total += int64(n)
		_, _ = c.Write(p[:n])
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
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
