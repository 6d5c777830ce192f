// Package webssh is the web terminal server: it serves a page with
// xterm.js and bridges each browser to a command (by default /bin/login)
// on a fresh pseudo terminal, over a websocket or, where a proxy passes
// no websocket, over plain HTTP (stream.go).
package webssh

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luoyun/osmanager/pkg/clock"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/ptyshell"
	"github.com/luoyun/osmanager/pkg/termbridge"
	"github.com/luoyun/osmanager/pkg/termproto"
)

// Config is the server's configuration.
type Config struct {
	// Addr is the listen address, e.g. ":8001" or "127.0.0.1:0".
	Addr string
	// Command is what each session runs; the default /bin/login asks for
	// a user name and password.
	Command []string
	// Env is the command's environment; nil means ptyshell's minimal one.
	Env []string
	// MaxSessions caps concurrent sessions; the next page is told so.
	MaxSessions int
	// IdleTimeout ends a session with no input for this long; 0: never.
	IdleTimeout time.Duration
	// AllowedOrigins lists Origin hosts ("host" or "host:port") or full
	// origins ("https://host:port") allowed besides the page's own host.
	AllowedOrigins []string
	// AllowedHosts lists the names (besides IP literals and localhost)
	// this instance is reached by: the Host of a session's request must
	// be one of them (HostAllowed). The JSON's domain name goes here.
	AllowedHosts []string
	// TrustedProxies lists the proxies (IPs or CIDR prefixes; loopback
	// always) whose X-Real-IP names the client for the session limit.
	TrustedProxies []string
	// TLSCert and TLSKey, when both set, make the server speak HTTPS.
	TLSCert, TLSKey string
	// Title is the page's title, usually the instance's host name.
	Title string
	// Window is the per-session flow-control window; 0: the default.
	Window int
	// Grace is how long a closing session's command has after SIGHUP
	// before SIGKILL; 0: ptyshell's default.
	Grace time.Duration
	// Transfer moves files between the page and the logged-in user's
	// shell (transfer.go); the zero value: off.
	Transfer TransferConfig
	// PromptTimeout ends a session still at the login prompt (its
	// command has started nothing else, ptyshell.Shell.PastLogin) this
	// long after its start; 0: never. 60 s for /bin/login, as login's own.
	PromptTimeout time.Duration
	// TypingWindow is how long after its start or last input a session
	// at the prompt is never given up for a newcomer from its own source
	// (slots.go); 0: DefaultTypingWindow.
	TypingWindow time.Duration
	// MaxConns caps the connections open at once, MaxConnsPerSource
	// those from one address (limits.go); 0: the defaults.
	MaxConns, MaxConnsPerSource int
	// Clock times the streams' keep-alive frames; the real clock when nil.
	Clock clock.Clock
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Command) == 0 || c.Command[0] == "" {
		errs = append(errs, errors.New("no command"))
	}
	if c.MaxSessions < 1 {
		errs = append(errs, fmt.Errorf("max sessions must be at least 1, got %d", c.MaxSessions))
	}
	if c.MaxConns < 0 || c.MaxConnsPerSource < 0 {
		errs = append(errs, fmt.Errorf("connection caps must not be negative, got %d and %d", c.MaxConns, c.MaxConnsPerSource))
	}
	if c.PromptTimeout < 0 || c.TypingWindow < 0 {
		errs = append(errs, fmt.Errorf("prompt timeout and typing window must not be negative, got %s and %s", c.PromptTimeout, c.TypingWindow))
	}
	if c.IdleTimeout < 0 {
		errs = append(errs, fmt.Errorf("idle timeout must not be negative, got %s", c.IdleTimeout))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("TLS certificate and key go together"))
	}
	if _, err := ParseTrusted(c.TrustedProxies); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Server is the web terminal server.
type Server struct {
	cfg      Config
	log      *logging.Logger
	upgrader websocket.Upgrader
	page     []byte
	stats    termbridge.Stats
	tlsConf  *tls.Config

	trusted  []netip.Prefix
	ln       net.Listener
	sessions *slots
	wg       sync.WaitGroup
	streams  streams // the HTTP transport's open sessions
	xfer     transfers
}

// New returns a server for cfg.
func New(cfg Config, log *logging.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("webssh config: %w", err)
	}
	s := &Server{cfg: cfg, log: log.With(logging.String("component", "webssh")), sessions: newSlots(cfg.MaxSessions)}
	s.trusted, _ = ParseTrusted(cfg.TrustedProxies) // checked by Validate
	if cfg.TypingWindow > 0 {
		s.sessions.window = cfg.TypingWindow
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("webssh TLS: %w", err)
		}
		s.tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	s.page = renderPage(cfg.Title)
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 32 << 10,
		// admit has checked the origin before the upgrade.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	return s, nil
}

// Listen binds the listen address.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("webssh listen: %w", err)
	}
	if s.ln, err = s.limitListener(ln); err != nil {
		ln.Close()
		return fmt.Errorf("webssh listen: %w", err)
	}
	return nil
}

// Addr returns the bound address after Listen.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URL returns the page's address after Listen, e.g. http://127.0.0.1:8001/.
func (s *Server) URL() string {
	scheme := "http"
	if s.tlsConf != nil {
		scheme = "https"
	}
	return scheme + "://" + s.ln.Addr().String() + "/"
}

// Stats returns the sessions' counters.
func (s *Server) Stats() *termbridge.Stats { return &s.stats }

// Sessions returns the number of open sessions.
func (s *Server) Sessions() int { return s.sessions.len() }

// Serve serves on the bound listener until ctx is cancelled, then ends
// every session (killing its command) and returns nil.
func (s *Server) Serve(ctx context.Context) error {
	if s.ln == nil {
		return errors.New("webssh: Serve before Listen")
	}
	// Requests see the shutdown as its own cause, so that a transport can
	// tell it from the page going away (both end the request's context).
	base, stopBase := context.WithCancelCause(context.WithoutCancel(ctx))
	defer stopBase(nil)
	stopOnCancel := context.AfterFunc(ctx, func() { stopBase(errShutdown) })
	defer stopOnCancel()
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       readTimeout, // lifted for /stream (noReadDeadline)
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          log.New(s.log.Named("http").InfoWriter(), "", 0),
	}
	ln := s.ln
	if s.tlsConf != nil {
		ln = tls.NewListener(ln, s.tlsConf)
	}
	s.log.Info("serving", logging.String("url", s.URL()), logging.Strings("command", s.cfg.Command))
	defer s.startTransferSocket(ctx)()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.wg.Wait()
		return fmt.Errorf("webssh serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	s.wg.Wait() // sessions end through ctx
	return nil
}

// errShutdown is the cause of the requests' contexts when Serve stops.
var errShutdown = errors.New("server shutting down")

// Handler returns the HTTP handler: the page, its assets, /ws and the
// HTTP transport's /stream and /input.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.servePage)
	mux.Handle("GET /static/", staticHandler())
	mux.HandleFunc("GET /ws", s.serveWS)
	mux.HandleFunc("POST /stream", s.serveStream)
	mux.HandleFunc("POST /input", s.serveInput)
	s.transferRoutes(mux)
	return mux
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	// Counted before the upgrade hijacks the connection, while
	// http.Server.Shutdown still waits for this handler: Serve's final
	// Wait then covers every session.
	s.wg.Add(1)
	defer s.wg.Done()
	log := s.requestLog(r, "websocket")
	if !websocket.IsWebSocketUpgrade(r) {
		// A proxy that does not forward the upgrade (the cloud's nginx):
		// the page falls back to the HTTP transport.
		log.Debug("websocket refused: no upgrade in the request (a proxy?)")
		http.Error(w, "websocket upgrade expected", http.StatusBadRequest)
		return
	}
	if !s.admit(w, r) {
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader has answered.
		log.Info("websocket refused", logging.Error(err))
		return
	}
	sl, busy := s.takeSlot(r, log)
	if sl == nil {
		refuse(ws, websocket.CloseTryAgainLater, busy)
		return
	}
	defer s.sessions.release(sl)
	s.runSession(r.Context(), sl, termbridge.WebSocket(ws), log)
}

// requestLog is the logger of one session request.
func (s *Server) requestLog(r *http.Request, transport string) *logging.Logger {
	log := s.log.With(logging.String("remote", r.RemoteAddr), logging.String("source", source(r, s.trusted)), logging.String("transport", transport))
	if ip := r.Header.Get("X-Real-IP"); ip != "" {
		// Set by the cloud's proxy; informational only.
		log = log.With(logging.String("real_ip", ip))
	}
	return log
}

// runSession runs the command for an admitted page, holding slot sl, on
// transport conn until either ends (or the slot is given to a newcomer).
func (s *Server) runSession(ctx context.Context, sl *slot, conn termbridge.Conn, log *logging.Logger) {
	sh, err := ptyshell.Start(ptyshell.Config{Command: s.cfg.Command, Env: s.cfg.Env, Grace: s.cfg.Grace})
	if err != nil {
		log.Error("start session", logging.Error(err))
		_ = conn.WriteNotice(termproto.Notice{Kind: termproto.NoticeError, Text: "cannot start the terminal: " + err.Error()},
			time.Now().Add(2*time.Second))
		conn.Close()
		return
	}
	log = log.With(logging.Int("pid", sh.Pid()))
	log.Info("session started")
	start := time.Now()
	ctx, end := context.WithCancelCause(ctx)
	defer end(nil)
	s.sessions.attach(sl, end, sh.PastLogin)
	shell, closeTransfers := s.openTransfers(sh, log)
	defer closeTransfers()
	defer s.promptTimer(sh.PastLogin, end)()
	err = termbridge.RunConn(ctx, s.sessions.watchInput(sl, conn), shell, termbridge.Config{
		Window:      s.cfg.Window,
		IdleTimeout: s.cfg.IdleTimeout,
		Stats:       &s.stats,
	}, log)
	if err != nil {
		log.Info("session ended", logging.Duration("duration", time.Since(start)), logging.Error(err))
		return
	}
	log.Info("session ended", logging.Duration("duration", time.Since(start)))
}

// refuse tells the page why there is no session and closes.
func refuse(ws *websocket.Conn, code int, n termproto.Notice) {
	deadline := time.Now().Add(2 * time.Second)
	_ = ws.SetWriteDeadline(deadline)
	_ = ws.WriteMessage(websocket.TextMessage, n.Marshal())
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, n.Kind), deadline)
	ws.Close()
}
