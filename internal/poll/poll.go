// Package poll waits in tests for a condition instead of a fixed time: it
// checks the condition at a short, growing interval and fails the test with
// a clear message when the timeout passes first. A poll costs nothing when
// the condition holds quickly, so timeouts are generous (the machine that
// runs the tests may be loaded).
package poll

import "time"

// Timeout is a generous default for conditions that should hold quickly.
const Timeout = 30 * time.Second

// TB is the part of testing.TB the helpers use.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

const (
	firstInterval = time.Millisecond
	maxInterval   = 50 * time.Millisecond
)

// Wait calls cond until it returns true or timeout passes, sleeping a short,
// growing interval between calls. It reports whether cond held.
func Wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	interval := firstInterval
	for {
		if cond() {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(min(interval, time.Until(deadline)+time.Millisecond))
		interval = min(interval*2, maxInterval)
	}
}

// Until waits for cond like Wait and fails t when it does not hold within
// timeout; what names the condition in the failure message.
func Until(t TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Wait(timeout, cond) {
		t.Fatalf("poll: %s did not happen within %v", what, timeout)
	}
}

// UntilNil waits until check returns nil and fails t with check's last
// error when it does not within timeout.
func UntilNil(t TB, timeout time.Duration, check func() error) {
	t.Helper()
	var err error
	if !Wait(timeout, func() bool { err = check(); return err == nil }) {
		t.Fatalf("poll: still failing after %v: %v", timeout, err)
	}
}
