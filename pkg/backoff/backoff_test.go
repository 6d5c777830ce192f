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
		want []time.Duration
	}{
		{"bottom", func(int64) int64 { return 0 }, []time.Duration{1, 1, 1, 1}},
		{"middle", func(n int64) int64 { return n / 2 }, []time.Duration{1000, 1500, 2500, 4500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Backoff{Min: time.Second, Max: time.Minute, Rand: tt.rnd}
			for i, w := range tt.want {
				got := b.Next()
				if tt.name == "bottom" {
					w *= time.Second
				} else {
					w *= time.Millisecond
				}
				if got != w {
					t.Errorf("Next #%d = %v, want %v", i, got, w)
				}
			}
		})
	}
}

func TestRealRandomStaysInBounds(t *testing.T) {
	b := &Backoff{Min: 100 * time.Millisecond, Max: 3 * time.Second}
	seen := map[time.Duration]bool{}
	for i := 0; i < 200; i++ {
		c := b.Ceiling()
		d := b.Next()
		if d < b.Min || d > c {
			t.Fatalf("Next = %v outside [%v, %v]", d, b.Min, c)
		}
		seen[d] = true
	}
	if len(seen) < 50 {
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
