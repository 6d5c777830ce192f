// Package backoff computes reconnect delays for an instance that lost its
// controller, so that one instance finds a returning controller within
// seconds, a fleet that lost the same controller does not come back at the
// same moment, a controller that keeps failing its sessions is not
// hammered, and an instance whose controller is gone for good settles at
// about one attempt per Max.
//
// The policy (chosen by the figures of bench/fleet, docs/osm.md):
//
//   - The first delay after a loss is uniform in [0, Min] ("full jitter"):
//     a fleet that lost its controller at one moment spreads its first
//     retries over Min instead of sending them together.
//   - Later delays are uniform in [c/2, c] ("equal jitter"). The ceiling
//     c follows the length of the outage so far: half of it, at least Min,
//     at most Max. A probe is never further apart than half the time the
//     controller has been away, so a controller that is back after an
//     outage of T is found within about T/2 (5 s after 10 s), and an
//     instance whose controller is gone settles at one attempt every
//     Max/2..Max (one or two a minute, never more than three).
//   - A failure after the controller was reached (a registration refused,
//     an impostor, a session that did not stay healthy: a flapping
//     controller) is a strike: the ceiling is at least Min·2^(strikes-1),
//     so such a controller sees exponentially fewer connections instead
//     of one a second.
//
// Reset (after a session that stayed healthy) starts over.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff hands out delays. The zero value is not usable; set Min and Max.
// It is not safe for concurrent use.
type Backoff struct {
	// Min bounds the first delay, and is the smallest ceiling.
	Min time.Duration
	// Max caps the ceiling.
	Max time.Duration
	// Rand returns a uniform value in [0, n); rand.Int64N when nil.
	// Tests inject a fixed function.
	Rand func(n int64) int64

	attempt int       // delays handed out since Reset
	strikes int       // failures after the controller was reached
	since   time.Time // start of the outage (first failure since Reset)
}

// Next returns the delay before the next attempt, after a failure at now.
// reached tells whether that failure came after the controller was
// reached (a strike, see the package comment).
func (b *Backoff) Next(now time.Time, reached bool) time.Duration {
	if b.attempt == 0 && b.strikes == 0 {
		b.since = now
	}
	if reached {
		b.strikes++
	}
	c := b.Ceiling(now)
	lo := c / 2
	if b.attempt == 0 {
		lo = 0
	}
	b.attempt++
	return lo + time.Duration(b.rand(int64(c-lo)+1))
}

// Ceiling returns the upper bound of the delay after a failure at now.
func (b *Backoff) Ceiling(now time.Time) time.Duration {
	if b.attempt == 0 && b.strikes == 0 {
		return b.Min
	}
	c := now.Sub(b.since) / 2
	if b.strikes > 0 {
		s := b.Min
		for i := 1; i < b.strikes && s < b.Max; i++ {
			s *= 2
		}
		c = max(c, s)
	}
	return min(max(c, b.Min), b.Max)
}

func (b *Backoff) rand(n int64) int64 {
	if n <= 1 {
		return 0
	}
	if b.Rand != nil {
		return b.Rand(n)
	}
	return rand.Int64N(n)
}

// Hold takes d out of the outage: time spent in a registered session that
// then failed (before it counted as healthy) is not time without a
// controller.
func (b *Backoff) Hold(d time.Duration) {
	if !b.since.IsZero() {
		b.since = b.since.Add(d)
	}
}

// Reset starts over, after a session that stayed healthy.
func (b *Backoff) Reset() { *b = Backoff{Min: b.Min, Max: b.Max, Rand: b.Rand} }

// Attempts returns how many delays were handed out since the last Reset.
func (b *Backoff) Attempts() int { return b.attempt }

// Sleeper waits d or until ctx is done; it returns ctx.Err() in that case.
// Production code uses Sleep; tests inject one that does not wait.
type Sleeper func(ctx context.Context, d time.Duration) error

// Sleep waits on a real timer.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
