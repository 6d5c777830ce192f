package clock

import (
	"context"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/poll"
)

func fired(c <-chan time.Time) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func TestFakeTimerAndTicker(t *testing.T) {
	f := NewFake(time.Unix(1000, 0))
	tm := f.NewTimer(time.Second)
	tk := f.NewTicker(300 * time.Millisecond)
	if f.Waiters() != 2 {
		t.Fatalf("Waiters = %d, want 2", f.Waiters())
	}
	f.Advance(299 * time.Millisecond)
	if fired(tm.C()) || fired(tk.C()) {
		t.Fatal("fired early")
	}
	f.Advance(time.Millisecond)
	if !fired(tk.C()) || fired(tm.C()) {
		t.Fatal("ticker did not fire at its period, or the timer fired early")
	}
	f.Advance(700 * time.Millisecond)
	if !fired(tm.C()) || !fired(tk.C()) {
		t.Fatal("timer or ticker did not fire")
	}
	if f.Waiters() != 1 {
		t.Errorf("Waiters = %d after the timer fired, want 1 (the ticker)", f.Waiters())
	}
	tk.Stop()
	if f.Waiters() != 0 {
		t.Errorf("Waiters = %d after Stop, want 0", f.Waiters())
	}
	if got := f.Now(); !got.Equal(time.Unix(1001, 0)) {
		t.Errorf("Now = %v", got)
	}
}

func TestSleep(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	done := make(chan error)
	go func() { done <- Sleep(context.Background(), f, time.Hour) }()
	poll.Until(t, poll.Timeout, "Sleep's timer", func() bool { return f.Waiters() > 0 })
	f.Advance(time.Hour)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, Real{}, time.Hour); err != context.Canceled {
		t.Errorf("Sleep(cancelled) = %v", err)
	}
}
