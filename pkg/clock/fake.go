package clock

import (
	"sync"
	"time"
)

// Fake is a clock that moves only when Advance is called. Its timers and
// tickers fire (without blocking) when Advance passes their time.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*fakeTimer
}

// NewFake returns a fake clock set to start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer that fires once Advance reaches now+d.
func (f *Fake) NewTimer(d time.Duration) Timer { return f.add(d, 0) }

// NewTicker returns a ticker that fires every d of fake time; like
// time.NewTicker it panics when d <= 0 (a programming error).
func (f *Fake) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive ticker period")
	}
	return fakeTicker{f.add(d, d)}
}

type fakeTicker struct{ t *fakeTimer }

func (k fakeTicker) C() <-chan time.Time { return k.t.c }
func (k fakeTicker) Stop()               { k.t.Stop() }

func (f *Fake) add(d, period time.Duration) *fakeTimer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{f: f, at: f.now.Add(d), period: period, c: make(chan time.Time, 1)}
	if d <= 0 && period == 0 {
		t.c <- f.now
		return t
	}
	f.waiters = append(f.waiters, t)
	return t
}

// Advance moves the time forward by d and fires what falls due.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	kept := f.waiters[:0]
	for _, t := range f.waiters {
		for !t.at.After(f.now) {
			select {
			case t.c <- t.at:
			default: // a ticker drops ticks nobody read, as time.Ticker does
			}
			if t.period == 0 {
				break
			}
			t.at = t.at.Add(t.period)
		}
		if t.at.After(f.now) {
			kept = append(kept, t)
		}
	}
	f.waiters = kept
}

// Waiters returns how many timers and tickers are pending: a test waits
// for the code under test to have set its timer before it advances.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

type fakeTimer struct {
	f      *Fake
	at     time.Time
	period time.Duration
	c      chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	for i, w := range t.f.waiters {
		if w == t {
			t.f.waiters = append(t.f.waiters[:i], t.f.waiters[i+1:]...)
			return true
		}
	}
	return false
}
