package webssh

import (
	"io"
	"net"
	"net/http"
	"time"

	"github.com/luoyun/osmanager/pkg/connlimit"
	"github.com/luoyun/osmanager/pkg/logging"
)

// Connection and body limits. A connection over a cap is answered 503
// (Connection: close) and closed at once by the listener; every request
// must arrive whole within readTimeout of its start (the server's
// ReadTimeout), a body with progress at least every bodyIdle and within
// bodyMax; the /stream response and the websocket are exempt, once
// admitted.
const (
	// DefaultMaxConns caps the connections open at once (Config.MaxConns).
	DefaultMaxConns = 256
	// DefaultMaxConnsPerSource caps those from one address
	// (Config.MaxConnsPerSource): enough for every session behind one
	// proxy (a stream and its input posts each) and their pages.
	DefaultMaxConnsPerSource = 64

	readTimeout = 10 * time.Second
	bodyIdle    = 10 * time.Second
	bodyMax     = time.Minute

	// fdReserve is what the process keeps for other files (ptys, logs)
	// when the file limit is lower than the connection cap needs.
	fdReserve = 128
)

// limitListener wraps the bound listener in the connection caps.
func (s *Server) limitListener(ln net.Listener) (net.Listener, error) {
	total := s.cfg.MaxConns
	if total == 0 {
		total = DefaultMaxConns
	}
	if fit := connlimit.FitTotal(total, fdReserve+4*s.cfg.MaxSessions); fit < total {
		s.log.Warn("file limit too low for the connection cap; lowered", logging.Int("max_conns", fit), logging.Int("wanted", total))
		total = fit
	}
	per := s.cfg.MaxConnsPerSource
	if per == 0 {
		per = DefaultMaxConnsPerSource
	}
	cfg := connlimit.Config{
		Total:     total,
		PerSource: per,
		OnRefuse: func(src string, all bool) {
			s.log.Debug("connection refused: over the cap", logging.String("source", src), logging.Bool("total", all))
		},
	}
	if s.tlsConf == nil {
		cfg.Refusal = connlimit.HTTPRefusal("too many connections; try again later")
	}
	return connlimit.New(ln, cfg)
}

// noReadDeadline lifts the server's ReadTimeout from a request whose
// connection stays open for the session (the /stream response).
func noReadDeadline(w http.ResponseWriter) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
}

// bodyReader returns r's body with a deadline that moves with progress:
// each read has bodyIdle, and the whole body bodyMax from now.
func bodyReader(w http.ResponseWriter, r *http.Request) io.ReadCloser {
	return &deadlineBody{body: r.Body, rc: http.NewResponseController(w), end: time.Now().Add(bodyMax)}
}

type deadlineBody struct {
	body io.ReadCloser
	rc   *http.ResponseController
	end  time.Time
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	d := time.Now().Add(bodyIdle)
	if d.After(b.end) {
		d = b.end
	}
	_ = b.rc.SetReadDeadline(d)
	return b.body.Read(p)
}

func (b *deadlineBody) Close() error { return b.body.Close() }
