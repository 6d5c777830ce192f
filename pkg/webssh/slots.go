package webssh

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/luoyun/osmanager/pkg/termbridge"
	"github.com/luoyun/osmanager/pkg/termproto"
)

// errEvicted ends a session that an arriving visitor took the place of.
var errEvicted = errors.New("this terminal stayed at the login prompt and was closed to let another visitor in")

// errPromptTimeout ends a session that stayed at the login prompt for
// Config.PromptTimeout.
var errPromptTimeout = errors.New("login timed out: this terminal stayed at the login prompt too long; reload the page to try again")

// DefaultTypingWindow is how long after its start or its last input a
// session at the login prompt counts as someone typing (Config.TypingWindow).
const DefaultTypingWindow = 30 * time.Second

// slot is one admitted session.
type slot struct {
	source  string       // who opened it, as source() counts
	seq     uint64       // admission order: lower is older
	started time.Time    // when it was admitted
	input   atomic.Int64 // UnixNano of the page's last input; 0: none yet

	// Set by attach once the command runs; nil before.
	end       context.CancelCauseFunc
	pastLogin func() bool
}

// typedSince reports whether the page sent input at or after t.
func (s *slot) typedSince(t time.Time) bool { return s.input.Load() >= t.UnixNano() }

// slots holds the sessions against max_sessions. When all are taken, a
// newcomer may take the place of a session still at the login prompt
// that nobody is typing in (no input within the typing window):
//
//   - from another source: that of the source holding the most sessions,
//     when it holds at least two more than the newcomer's (so one client
//     holding every slot cannot keep others from a prompt, and a source's
//     only session is never taken);
//   - else from the newcomer's own source (one address behind a proxy is
//     many users): its oldest session idle for the whole window since
//     its start or last input, so a hog reconnecting from the address of
//     a real user takes the hog's idle sessions, never the user's.
//
// A session past the login prompt is never taken.
type slots struct {
	max    int
	window time.Duration    // the typing window
	now    func() time.Time // time.Now; a fake in tests

	mu  sync.Mutex
	seq uint64
	all map[*slot]struct{}
}

func newSlots(max int) *slots {
	return &slots{max: max, window: DefaultTypingWindow, now: time.Now, all: make(map[*slot]struct{})}
}

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
	now := t.now()
	if len(t.all) >= t.max {
		evicted = t.victimFor(src, now)
		if evicted == nil {
			return nil, nil
		}
		delete(t.all, evicted)
		evicted.end(errEvicted)
	}
	t.seq++
	s = &slot{source: src, seq: t.seq, started: now}
	t.all[s] = struct{}{}
	return s, evicted
}

// victimFor picks the session a newcomer from src may replace at now.
func (t *slots) victimFor(src string, now time.Time) *slot {
	count := make(map[string]int)
	for s := range t.all {
		count[s.source]++
	}
	since := now.Add(-t.window)
	var victim, own *slot
	for s := range t.all {
		if s.end == nil || s.typedSince(since) || s.pastLogin() {
			continue
		}
		if s.source == src {
			if !s.started.After(since) && (own == nil || s.started.Before(own.started) || s.started.Equal(own.started) && s.seq < own.seq) {
				own = s
			}
			continue
		}
		if count[s.source] < count[src]+2 {
			continue
		}
		if victim != nil {
			if cs, cv := count[s.source], count[victim.source]; cs < cv || cs == cv && s.seq > victim.seq {
				continue
			}
		}
		victim = s
	}
	if victim == nil {
		victim = own
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

// watchInput returns conn noting in s the time of each input message.
func (t *slots) watchInput(s *slot, conn termbridge.Conn) termbridge.Conn {
	return &inputWatch{Conn: conn, s: s, now: t.now}
}

type inputWatch struct {
	termbridge.Conn
	s   *slot
	now func() time.Time
}

func (w *inputWatch) ReadMessage() ([]byte, error) {
	m, err := w.Conn.ReadMessage()
	if len(m) > 1 && termproto.Type(m[0]) == termproto.TypeInput {
		w.s.input.Store(w.now().UnixNano())
	}
	return m, err
}

// promptTimer ends the session through end when it is still at the login
// prompt PromptTimeout after now; it returns the timer's stop.
func (s *Server) promptTimer(pastLogin func() bool, end context.CancelCauseFunc) func() {
	if s.cfg.PromptTimeout <= 0 {
		return func() {}
	}
	t := time.AfterFunc(s.cfg.PromptTimeout, func() {
		if !pastLogin() {
			end(errPromptTimeout)
		}
	})
	return func() { t.Stop() }
}
