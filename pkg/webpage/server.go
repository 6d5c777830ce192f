package webpage

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/luoyun/osmanager/pkg/connlimit"
	"github.com/luoyun/osmanager/pkg/logging"
)

// Server is the page server.
type Server struct {
	cfg    Config
	log    *logging.Logger
	access *logging.Logger
	vars   *varSource
	files  *fileCache
	srv    *http.Server
	probes probes

	mu sync.Mutex
	ln net.Listener
}

// New returns a server for cfg; it does not listen yet.
func New(cfg Config, log *logging.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log = log.With(logging.String("component", "web"))
	s := &Server{cfg: cfg, log: log, access: log.Named("access")}
	s.vars = newVarSource(&s.cfg, log)
	s.files = &fileCache{cfg: &s.cfg}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    headerAllowance(cfg.MaxHeaderBytes),
		ErrorLog:          stdlog.New(log.Named("http").InfoWriter(), "", 0),
	}
	return s, nil
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// Listen binds the configured address.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("web: listen: %w", err)
	}
	lim, err := connlimit.New(ln, connlimit.Config{
		Total:     connlimit.FitTotal(s.cfg.MaxConns, fdReserve),
		PerSource: s.cfg.MaxConnsPerSource,
		Refusal:   connlimit.HTTPRefusal("too many connections; try again later"),
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("web: listen: %w", err)
	}
	s.mu.Lock()
	s.ln = lim
	s.mu.Unlock()
	return nil
}

// Addr returns the bound address, nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Serve answers requests until ctx is cancelled, then lets requests in
// flight finish (up to ShutdownTimeout) and returns nil. Listen must have
// been called.
func (s *Server) Serve(ctx context.Context) error {
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	if ln == nil {
		return errors.New("web: Serve before Listen")
	}
	v := s.vars.get(s.now())
	s.log.Info("serving",
		logging.String("addr", ln.Addr().String()),
		logging.String("root", s.cfg.Root),
		logging.String("hostname", v.values[VarHostname]),
		logging.String("application", v.values[VarApplication]),
		logging.Bool("cookie", v.hasCookie))
	for _, set := range []string{NoCookie, WithCookie} {
		if st, err := os.Stat(filepath.Join(s.cfg.Root, set)); err != nil || !st.IsDir() {
			s.log.Warn("page set missing: its requests get 404", logging.String("dir", filepath.Join(s.cfg.Root, set)))
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if err != nil {
		s.log.Warn("requests still in flight at shutdown; closing", logging.Error(err))
		_ = s.srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: serve: %w", err)
	}
	s.probeSummary(s.now())
	s.log.Info("stopped")
	return nil
}

// fdReserve is the descriptors kept for files besides connections when
// the file limit is lower than MaxConns needs.
const fdReserve = 64

// headerAllowance is the http.Server.MaxHeaderBytes that limits a
// request's line and headers to limit bytes: net/http lets a request read
// MaxHeaderBytes plus 4096 bytes of read-ahead before answering 431.
func headerAllowance(limit int) int {
	const slop = 4096
	if limit <= slop {
		return 1
	}
	return limit - slop
}
