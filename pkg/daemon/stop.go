package daemon

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/luoyun/osmanager/pkg/procinfo"
)

// Outcome is what Stop did.
type Outcome int

// Outcomes of Stop.
const (
	// NotRunning: there was no pid file.
	NotRunning Outcome = iota
	// Stale: the pid file named no process of ours; it was removed and
	// nothing was signalled.
	Stale
	// Stopped: our process ended on SIGTERM.
	Stopped
	// Killed: it did not end within the grace time and got SIGKILL.
	Killed
)

// Stopping is the result of Stop for one pid file.
type Stopping struct {
	Outcome Outcome
	// PID is the process stopped or killed, or the stale file's pid.
	PID int
	// Stale is why the pid file was stale (Outcome Stale).
	Stale *StaleError
}

// String is the outcome as osmanager.log says it after "NAME: ".
func (s Stopping) String() string {
	switch s.Outcome {
	case Stale:
		return s.Stale.Error() + "; removed"
	case Stopped:
		return fmt.Sprintf("stopped (pid %d)", s.PID)
	case Killed:
		return fmt.Sprintf("did not stop on SIGTERM; killed (pid %d)", s.PID)
	}
	return "not running"
}

// Stop ends our process named by the pid file at path (proc file system
// at root): SIGTERM, then SIGKILL when it still runs after grace. A pid
// file that does not name our process is removed and nothing is
// signalled. The pid file is removed in every case.
func Stop(ctx context.Context, root, path string, grace time.Duration) (Stopping, error) {
	pid, err := Find(root, path)
	var stale *StaleError
	switch {
	case errors.Is(err, ErrNotRunning):
		return Stopping{Outcome: NotRunning}, nil
	case errors.As(err, &stale):
		RemovePidfile(path)
		return Stopping{Outcome: Stale, PID: stale.PID, Stale: stale}, nil
	case err != nil:
		return Stopping{}, err
	}
	id, err := Of(root, pid)
	if err != nil { // ended between the two reads
		RemovePidfile(path)
		return Stopping{Outcome: Stopped, PID: pid}, nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return Stopping{}, fmt.Errorf("stop pid %d: %w", pid, err)
	}
	out := Stopping{Outcome: Stopped, PID: pid}
	if !waitGone(ctx, root, pid, id, grace) && sameProcess(root, pid, id) {
		syscall.Kill(pid, syscall.SIGKILL)
		out.Outcome = Killed
		waitGone(ctx, root, pid, id, grace)
	}
	RemovePidfile(path)
	return out, nil
}

// waitGone polls until pid no longer runs the process id, up to limit;
// it reports whether it is gone.
func waitGone(ctx context.Context, root string, pid int, id Identity, limit time.Duration) bool {
	t := time.NewTimer(limit)
	defer t.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for sameProcess(root, pid, id) {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return false
		case <-tick.C:
		}
	}
	return true
}

// sameProcess reports whether pid still runs the process id.
func sameProcess(root string, pid int, id Identity) bool {
	if !procinfo.Alive(root, pid) {
		return false
	}
	got, err := Of(root, pid)
	return err == nil && got.Same(id)
}
