package webssh

import (
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/luoyun/osmanager/pkg/termproto"
)

// refusal is why admit turned a session request away.
type refusal struct {
	// status is the HTTP answer when no transport is open yet: 403 for
	// a foreign page, 503 when every session is in use.
	status int
	// notice is what the page shows.
	notice termproto.Notice
}

// admit is the one admission path of every transport (the websocket and
// the HTTP fallback): the request must come from an allowed page
// (requestAllowed), and a session slot must be free. On success it
// returns the function that frees the slot; the caller defers it.
func (s *Server) admit(r *http.Request, log *zap.Logger) (release func(), ref *refusal) {
	if !s.requestAllowed(r) {
		log.Info("session refused: origin not allowed", zap.String("origin", r.Header.Get("Origin")), zap.String("host", r.Host))
		return nil, &refusal{status: http.StatusForbidden,
			notice: termproto.Notice{Kind: termproto.NoticeError, Text: "this page's origin may not open a terminal here"}}
	}
	if n := s.sessions.Add(1); int(n) > s.cfg.MaxSessions {
		s.sessions.Add(-1)
		log.Info("session refused: too many sessions", zap.Int("max", s.cfg.MaxSessions))
		return nil, &refusal{status: http.StatusServiceUnavailable, notice: termproto.Notice{Kind: termproto.NoticeBusy,
			Text: fmt.Sprintf("all %d terminal sessions are in use; close one or try again later", s.cfg.MaxSessions)}}
	}
	return func() { s.sessions.Add(-1) }, nil
}

// requestAllowed reports whether r comes from a page allowed to drive a
// session: its Origin against its Host and allowed_origins. Every request
// that opens a session or feeds one (the fallback's input POSTs) passes
// here.
func (s *Server) requestAllowed(r *http.Request) bool {
	return OriginAllowed(r.Header.Get("Origin"), r.Host, s.cfg.AllowedOrigins)
}
