package webssh

import (
	"context"
	"errors"
	"sync"
)

// errEvicted ends a session that an arriving visitor took the place of.
var errEvicted = errors.New("this terminal stayed at the login prompt and was closed to let another visitor in")

// slot is one admitted session.
type slot struct {
	source string // who opened it, as source() counts
	seq    uint64 // admission order: lower is older

	// Set by attach once the command runs; nil before.
	end       context.CancelCauseFunc
	pastLogin func() bool
}

// slots holds the sessions against max_sessions. When all are taken, a
// visitor from a source holding fewer sessions than another source may
// take the place of that source's oldest session still at the login
// prompt: one client holding every slot at the prompt cannot keep others
// from a prompt of their own, a source's only session is never taken,
// and a session past the login prompt is never taken.
type slots struct {
	max int

	mu  sync.Mutex
	seq uint64
	all map[*slot]struct{}
}

func newSlots(max int) *slots { return &slots{max: max, all: make(map[*slot]struct{})} }

// len returns the number of sessions held.
func (t *slots) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.all)
}

// acquire returns a slot for a session from src, or nil when all are
// taken and none may be given up. The session given up, if any, is
// returned too; it has been told to end (it leaves the table at once;
// its command ends within the grace period).
func (t *slots) acquire(src string) (s, evicted *slot) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.all) >= t.max {
		evicted = t.victimFor(src)
		if evicted == nil {
			return nil, nil
		}
		delete(t.all, evicted)
		evicted.end(errEvicted)
	}
	t.seq++
	s = &slot{source: src, seq: t.seq}
	t.all[s] = struct{}{}
	return s, evicted
}

// victimFor picks the session a visitor from src may replace: the
// oldest one at the login prompt from the source with the most sessions,
// when that source holds at least two more than src (so that after the
// swap it still holds at least as many as src).
func (t *slots) victimFor(src string) *slot {
	count := make(map[string]int)
	for s := range t.all {
		count[s.source]++
	}
	var victim *slot
	for s := range t.all {
		if s.end == nil || count[s.source] < count[src]+2 {
			continue
		}
		if victim != nil {
			if cs, cv := count[s.source], count[victim.source]; cs < cv || cs == cv && s.seq > victim.seq {
				continue
			}
		}
		if s.pastLogin() {
			continue
		}
		victim = s
	}
	return victim
}

// attach makes s evictable: end stops its session, pastLogin reports
// whether its command got past the login prompt.
func (t *slots) attach(s *slot, end context.CancelCauseFunc, pastLogin func() bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s.end, s.pastLogin = end, pastLogin
}

// release gives s back; releasing an evicted slot does nothing.
func (t *slots) release(s *slot) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.all, s)
}
