package backoff

import (
	"context"
	"testing"
	"time"
)

var t0 = time.Unix(1_700_000_000, 0)

func top(n int64) int64           { return n - 1 }
func bottom(int64) int64          { return 0 }
func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// TestFirstDelayFullJitter: the first retry after a loss is anywhere in
// [0, Min], so a fleet does not retry at one moment.
func TestFirstDelayFullJitter(t *testing.T) {
	for _, tt := range []struct {
		rnd  func(int64) int64
		want time.Duration
	}{{bottom, 0}, {top, time.Second}, {func(n int64) int64 { return n / 2 }, 500 * time.Millisecond}} {
		b := &Backoff{Min: time.Second, Max: time.Minute, Rand: tt.rnd}
		if got := b.Next(t0, false); got != tt.want {
			t.Errorf("first delay = %v, want %v", got, tt.want)
		}
	}
}

// TestCeilingFollowsOutage: after the first delay, delays are in [c/2, c]
// with c half the outage so far, between Min and Max.
func TestCeilingFollowsOutage(t *testing.T) {
	b := &Backoff{Min: time.Second, Max: time.Minute, Rand: top}
	b.Next(t0, false)
	for _, tt := range []struct{ at, want float64 }{{0.5, 1}, {2, 1}, {4, 2}, {10, 5}, {60, 30}, {119, 59.5}, {300, 60}, {3600, 60}} {
		if got := b.Next(t0.Add(sec(tt.at)), false); got != sec(tt.want) {
			t.Errorf("delay at %vs into the outage = %v, want %v (top of the range)", tt.at, got, sec(tt.want))
		}
	}
	b = &Backoff{Min: time.Second, Max: time.Minute, Rand: bottom}
	b.Next(t0, false)
	if got := b.Next(t0.Add(10*time.Second), false); got != 2500*time.Millisecond {
		t.Errorf("bottom delay 10s into the outage = %v, want 2.5s", got)
	}
}

// TestStrikesGrowExponentially: a controller reached that failed again and
// again (a flapping one) sees the ceiling double per strike, even when the
// failures come quickly.
func TestStrikesGrowExponentially(t *testing.T) {
	b := &Backoff{Min: time.Second, Max: time.Minute, Rand: top}
	want := []float64{1, 2, 4, 8, 16, 32, 60, 60}
	now := t0
	for i, w := range want {
		d := b.Next(now, true)
		if d != sec(w) {
			t.Errorf("delay after strike %d = %v, want %v", i+1, d, sec(w))
		}
		now = now.Add(d + time.Millisecond)
	}
}

// TestFlappingConnectionsIn30s: with the defaults and the most aggressive
// jitter, a controller that fails every session right after registering
// gets at most 8 connections in 30 s (the first included).
func TestFlappingConnectionsIn30s(t *testing.T) {
	for name, rnd := range map[string]func(int64) int64{"bottom": bottom, "top": top, "random": nil} {
		b := &Backoff{Min: time.Second, Max: time.Minute, Rand: rnd}
		now, n := t0, 1
		for {
			now = now.Add(b.Next(now, true) + 5*time.Millisecond)
			if now.Sub(t0) > 30*time.Second {
				break
			}
			n++
		}
		if n > 8 {
			t.Errorf("%s jitter: %d connections in 30s, want <= 8", name, n)
		}
	}
}

// TestRestartFoundWithinHalfTheOutage: for outages up to 10 s, whatever
// the jitter, the first attempt after the controller is back comes within
// 6 s (the outage's half, 5 s, plus a failed attempt's duration).
func TestRestartFoundWithinHalfTheOutage(t *testing.T) {
	worst := time.Duration(0)
	for i := 0; i < 2000; i++ {
		outage := time.Duration(i%100+1) * 100 * time.Millisecond // 0.1 .. 10 s
		b := &Backoff{Min: time.Second, Max: time.Minute}
		now := t0
		for now.Sub(t0) < outage {
			now = now.Add(b.Next(now, false) + time.Millisecond) // a refused dial
		}
		worst = max(worst, now.Sub(t0)-outage)
	}
	if worst > 6*time.Second {
		t.Errorf("worst re-attempt %v after the controller was back, want <= 6s", worst)
	}
	t.Logf("worst re-attempt after the controller was back: %v", worst)
}

// TestSettlesAtAboutOneAttemptPerMax: an instance whose controller is gone
// for an hour makes one or two attempts a minute, never more than three in
// any minute.
func TestSettlesAtAboutOneAttemptPerMax(t *testing.T) {
	b := &Backoff{Min: time.Second, Max: time.Minute}
	now := t0
	var at []time.Time
	for now.Sub(t0) < time.Hour {
		now = now.Add(b.Next(now, false))
		at = append(at, now)
	}
	for i := range at {
		n := 0
		for j := i; j < len(at) && at[j].Sub(at[i]) < time.Minute; j++ {
			n++
		}
		if at[i].Sub(t0) > 5*time.Minute && n > 3 {
			t.Fatalf("%d attempts in the minute from %v", n, at[i].Sub(t0))
		}
	}
	// The last 50 minutes: at the cap, delays in [30s, 60s].
	var last int
	for _, a := range at {
		if a.Sub(t0) > 10*time.Minute {
			last++
		}
	}
	if perMin := float64(last) / 50; perMin < 1 || perMin > 2 {
		t.Errorf("%.2f attempts a minute at the cap, want 1..2", perMin)
	}
}

func TestHoldAndReset(t *testing.T) {
	b := &Backoff{Min: time.Second, Max: time.Minute, Rand: top}
	b.Next(t0, false)
	b.Hold(20 * time.Second) // registered for 20 s, then lost again
	if got := b.Next(t0.Add(30*time.Second), true); got != 5*time.Second {
		t.Errorf("delay = %v, want 5s (10 s of outage)", got)
	}
	b.Reset()
	if b.Attempts() != 0 {
		t.Errorf("Attempts after Reset = %d", b.Attempts())
	}
	if got := b.Next(t0.Add(time.Hour), false); got != time.Second {
		t.Errorf("after Reset the first delay = %v, want <= Min (1s at the top)", got)
	}
}

func TestSleepCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("Sleep(cancelled) = %v", err)
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep = %v", err)
	}
}
