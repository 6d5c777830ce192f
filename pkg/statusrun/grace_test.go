package statusrun

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/pkg/clock"
)

// counting is a script that fails (exit 1) until its okAt-th run, then
// succeeds; after is what it does from then on instead, when not "".
func counting(t *testing.T, okAt int, after string) string {
	t.Helper()
	n := filepath.Join(t.TempDir(), "runs")
	if after == "" {
		after = "exit 0"
	}
	return script(t, `n=$(cat `+n+` 2>/dev/null || echo 0); n=$((n + 1)); echo $n >`+n+`
[ $n -lt `+strconv.Itoa(okAt)+` ] && { echo "not yet $n"; exit 1; }
`+after, 0o755)
}

// TestRunGrace: a failing script is run again within the grace, and the
// whole stays within the timeout.
func TestRunGrace(t *testing.T) {
	tests := []struct {
		name     string
		path     func(t *testing.T) string
		timeout  time.Duration
		grace    time.Duration
		want     int32
		wantRuns func(n int) bool
	}{
		// At boot: the page answers on the third try.
		{"succeeds on the third run", func(t *testing.T) string { return counting(t, 3, "") }, time.Minute, 30 * time.Second,
			2000, func(n int) bool { return n == 3 }},
		// Nothing ever answers: reported once the grace is over.
		{"fails for good", func(t *testing.T) string { return script(t, "exit 1", 0o755) }, time.Minute, 300 * time.Millisecond,
			2001, func(n int) bool { return n >= 2 }},
		// A retry that hangs is cut at the timeout of the whole; the
		// failure before it is reported, not 2128.
		{"retry hangs", func(t *testing.T) string { return counting(t, 2, "exec sleep 300") }, time.Second, time.Second,
			2001, func(n int) bool { return n == 1 }},
		{"no grace", func(t *testing.T) string { return script(t, "exit 1", 0o755) }, time.Minute, 0,
			2001, func(n int) bool { return n == 1 }},
		{"missing is not retried", func(t *testing.T) string { return filepath.Join(t.TempDir(), "none") }, time.Minute, 30 * time.Second,
			2128, func(n int) bool { return n == 1 }},
		{"timed out is not retried", func(t *testing.T) string { return script(t, "exec sleep 300", 0o755) }, 300 * time.Millisecond, 30 * time.Second,
			2128, func(n int) bool { return n == 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Runner{Path: tt.path(t), Timeout: tt.timeout}
			res := r.RunGrace(context.Background(), tt.grace)
			if res.Status != tt.want || !tt.wantRuns(res.Runs) {
				t.Errorf("RunGrace = status %d after %d runs (%v, output %q), want %d", res.Status, res.Runs, res.Err, res.Output, tt.want)
			}
			// The whole stays within the timeout, give or take the end
			// of a killed group (WaitDelay) on a loaded machine.
			if limit := tt.timeout + 3*time.Second; res.Duration > limit {
				t.Errorf("RunGrace took %v, want at most the %v timeout", res.Duration, tt.timeout)
			}
		})
	}
}

// TestRunGraceCancelled: cancelling the context ends the retries.
func TestRunGraceCancelled(t *testing.T) {
	r := &Runner{Path: script(t, "exit 1", 0o755), Timeout: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	done := make(chan Result, 1)
	go func() { done <- r.RunGrace(ctx, time.Hour) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("RunGrace goes on after its context is cancelled")
	}
}

// TestRunGraceOnTheClock: the pauses between the runs and the grace are
// the Runner's clock's: a failing script runs again each time the clock
// passes a pause (50, 100, 200, 400, 400 ms…), and the retries end once
// the grace of that clock is over.
func TestRunGraceOnTheClock(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	r := &Runner{Path: script(t, "exit 1", 0o755), Timeout: time.Hour, Clock: f}
	done := make(chan Result, 1)
	go func() { done <- r.RunGrace(context.Background(), time.Second) }()
	// 0 + 50 + 100 + 200 + 400 = 750 ms; a next pause of 400 would pass 1 s.
	for _, pause := range []time.Duration{50, 100, 200, 400} {
		poll.Until(t, poll.Timeout, "a pause on the clock", func() bool { return f.Waiters() == 1 })
		select {
		case res := <-done:
			t.Fatalf("RunGrace returned after %d runs, before the grace of its clock was over", res.Runs)
		default:
		}
		f.Advance(pause * time.Millisecond)
	}
	var res Result
	select {
	case res = <-done:
	case <-time.After(poll.Timeout):
		t.Fatal("RunGrace goes on after the grace of its clock")
	}
	if res.Runs != 5 || res.Status != 2001 || res.Duration != 750*time.Millisecond {
		t.Errorf("RunGrace = status %d after %d runs in %v, want 2001 after 5 in 750ms of its clock", res.Status, res.Runs, res.Duration)
	}
}
