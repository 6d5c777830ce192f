// Package backoff computes reconnect delays: exponential growth from Min
// to Max, each delay drawn from the top tenth of its range, so that an
// instance that cannot reach its controller settles at about one attempt
// per Max, and thousands of instances that lost the same controller do not
// come back at the same moment.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff hands out delays. The zero value is not usable; set Min and Max.
// It is not safe for concurrent use.
type Backoff struct {
	// Min is the smallest delay, and the ceiling of the first one.
	Min time.Duration
	// Max caps the ceiling.
	Max time.Duration
	// Rand returns a uniform value in [0, n); rand.Int64N when nil.
	// Tests inject a fixed function.
	Rand func(n int64) int64

	attempt int
}

// Ceiling returns the current upper bound: Min·2^attempts, capped at Max.
func (b *Backoff) Ceiling() time.Duration {
	c := b.Min
	for i := 0; i < b.attempt && c < b.Max; i++ {
		c *= 2
	}
	return min(max(c, b.Min), b.Max)
}

// Jitter is the fraction of the ceiling the delays are spread over: a
// delay is uniform in [Ceiling·(1-Jitter), Ceiling], never below Min.
const Jitter = 0.1

// Next returns the delay before the next attempt, uniform in
// [max(Min, Ceiling()·(1-Jitter)), Ceiling()], and doubles the ceiling for
// the attempt after it.
func (b *Backoff) Next() time.Duration {
	c := b.Ceiling()
	d := max(b.Min, c-time.Duration(float64(c)*Jitter))
	if span := int64(c - d); span > 0 {
		rnd := b.Rand
		if rnd == nil {
			rnd = rand.Int64N
		}
		d += time.Duration(rnd(span + 1))
	}
	if c < b.Max {
		b.attempt++
	}
	return d
}

// Reset starts over from Min, after a success.
func (b *Backoff) Reset() { b.attempt = 0 }

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
