package filexfer

import (
	"context"
	"sync"
	"time"
)

// Pacer holds a session's transfers to a rate (bytes per second, over all
// of them together), with a burst of one second's worth. The zero Pacer
// or one with Rate 0 never waits.
type Pacer struct {
	Rate int64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// Wait takes n bytes' worth, sleeping until they are due or ctx ends.
func (p *Pacer) Wait(ctx context.Context, n int) error {
	if p == nil || p.Rate <= 0 {
		return nil
	}
	p.mu.Lock()
	now := time.Now()
	if p.last.IsZero() {
		p.tokens = float64(p.Rate)
	} else {
		p.tokens = min(float64(p.Rate), p.tokens+now.Sub(p.last).Seconds()*float64(p.Rate))
	}
	p.last = now
	p.tokens -= float64(n)
	wait := time.Duration(-p.tokens / float64(p.Rate) * float64(time.Second))
	p.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
