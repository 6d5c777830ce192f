package backoff

import (
	"context"
	"testing"
	"time"
)

func TestCeilingGrowsAndCaps(t *testing.T) {
	b := &Backoff{Min: time.Second, Max: time.Minute, Rand: func(n int64) int64 { return n - 1 }}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 60}
	for i, w := range want {
		if got := b.Next(); got != w*time.Second {
			t.Errorf("Next #%d = %v, want %v (top of the jitter range)", i, got, w*time.Second)
		}
	}
	b.Reset()
	if got := b.Next(); got != time.Second {
		t.Errorf("after Reset Next = %v, want 1s", got)
	}
}

func TestJitterRange(t *testing.T) {
	tests := []struct {
		name string
		rnd  func(int64) int64
		want []time.Duration // milliseconds
	}{
		// The first delay is Min; then the bottom of [0.9·c, c].
		{"bottom", func(int64) int64 { return 0 }, []time.Duration{1000, 1800, 3600, 7200, 14400, 28800, 54000, 54000}},
		{"middle", func(n int64) int64 { return n / 2 }, []time.Duration{1000, 1900, 3800, 7600, 15200, 30400, 57000, 57000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Backoff{Min: time.Second, Max: time.Minute, Rand: tt.rnd}
			for i, w := range tt.want {
				if got := b.Next(); got != w*time.Millisecond {
					t.Errorf("Next #%d = %v, want %v", i, got, w*time.Millisecond)
				}
			}
		})
	}
}

// TestSettlesAtAboutOneAttemptPerMax checks the brief's "back off to one
// attempt a minute": with real randomness, once at the cap, the delays
// stay within the top tenth of a minute.
func TestSettlesAtAboutOneAttemptPerMax(t *testing.T) {
	b := &Backoff{Min: time.Second, Max: time.Minute}
	var atCap []time.Duration
	for i := 0; i < 300; i++ {
		capped := b.Ceiling() == b.Max
		d := b.Next()
		if capped {
			atCap = append(atCap, d)
		}
	}
	var sum time.Duration
	for _, d := range atCap {
		if d < 54*time.Second || d > time.Minute {
			t.Fatalf("delay at the cap %v outside [54s, 1m]", d)
		}
		sum += d
	}
	if avg := sum / time.Duration(len(atCap)); avg < 55*time.Second || avg > 59*time.Second {
		t.Errorf("average delay at the cap %v, want about 57s", avg)
	}
}

func TestRealRandomStaysInBounds(t *testing.T) {
	b := &Backoff{Min: 100 * time.Millisecond, Max: 3 * time.Second}
	seen := map[time.Duration]bool{}
	for i := 0; i < 200; i++ {
		c := b.Ceiling()
		d := b.Next()
		if lo := max(b.Min, c-c/10); d < lo || d > c {
			t.Fatalf("Next = %v outside [%v, %v]", d, lo, c)
		}
		seen[d] = true
	}
	if len(seen) < 40 {
		t.Errorf("only %d distinct delays in 200: no jitter?", len(seen))
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
