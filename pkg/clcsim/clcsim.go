// Package clcsim plays the LuoYun Cloud Controller's side of the registrar
// protocol for one kind of instance: it sends multicast JOIN_REQUEST
// datagrams, authenticates instances with the shared KEY, answers their
// registration, and reports every registration, status report, query and
// echo as an Event. It backs `osm clc`, this project's tests, and appliance
// builders who check an appliance without a cloud.
package clcsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/luoyun/osmanager/pkg/clcproto"
	"github.com/luoyun/osmanager/pkg/hostname"
	"github.com/luoyun/osmanager/pkg/logging"
)

// Config says how the simulated controller behaves.
type Config struct {
	// Key is the instances' shared secret (luoyun.conf's KEY).
	Key []byte
	// Tag is the only instance tag accepted; 0 accepts any.
	Tag int32
	// Keys, when not nil, gives each accepted TAG its own KEY (a fleet,
	// as a real controller keeps one per instance); Key and Tag are then
	// not used, and any other TAG is refused (unknown-tag).
	Keys map[int32][]byte
	// MCast is "group:port" to send JOIN_REQUEST datagrams to; "" sends none.
	MCast string
	// Advertise is the "ip:port" put in the join datagrams; the listen
	// address when empty.
	Advertise string
	// JoinEvery is the period of join datagrams (10 s when zero).
	JoinEvery time.Duration
	// QueryEvery sends CLC_OSM_QUERY_REQUEST to each registered instance
	// at this period; 0 never.
	QueryEvery time.Duration
	// EchoEvery sends TEST_ECHO_REQUEST at this period; 0 never.
	EchoEvery time.Duration
	// Reply is the registration result: 1021 (success, default) or 1022.
	Reply int32
	// Flap makes a misbehaving controller: it accepts each registration
	// and then FlapDrop closes the connection at once, FlapGarbage sends
	// bytes that are not a packet. "" behaves.
	Flap string
	// HandshakeTimeout bounds authentication and registration (10 s when zero).
	HandshakeTimeout time.Duration
	// Events receives every event, one call at a time.
	Events func(Event)
}

// Flap modes.
const (
	FlapDrop    = "drop"
	FlapGarbage = "garbage"
)

// Server is a simulated controller.
type Server struct {
	cfg Config
	log *logging.Logger
	ln  net.Listener

	evMu  sync.Mutex
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// New returns a server; call Listen, then Serve.
func New(cfg Config, log *logging.Logger) (*Server, error) {
	if cfg.Keys == nil {
		if err := clcproto.CheckKey(cfg.Key); err != nil {
			return nil, fmt.Errorf("clc simulator: %w", err)
		}
	}
	for tag, k := range cfg.Keys {
		if err := clcproto.CheckKey(k); err != nil {
			return nil, fmt.Errorf("clc simulator: TAG %d: %w", tag, err)
		}
	}
	switch cfg.Flap {
	case "", FlapDrop, FlapGarbage:
	default:
		return nil, fmt.Errorf("clc simulator: flap mode %q: want %q or %q", cfg.Flap, FlapDrop, FlapGarbage)
	}
	if cfg.Reply == 0 {
		cfg.Reply = clcproto.RegisterOK
	}
	if cfg.JoinEvery <= 0 {
		cfg.JoinEvery = 10 * time.Second
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 10 * time.Second
	}
	if cfg.Events == nil {
		cfg.Events = func(Event) {}
	}
	return &Server{cfg: cfg, log: log.With(logging.String("component", "clcsim")), conns: map[net.Conn]struct{}{}}, nil
}

// Listen binds the TCP address (port 0 picks a free port) and emits the
// Listening event.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("clc simulator: %w", err)
	}
	s.ln = ln
	s.emit(Event{Kind: Listening, Addr: ln.Addr().String()})
	return nil
}

// LocalAddr returns the bound address.
func (s *Server) LocalAddr() net.Addr { return s.ln.Addr() }

func (s *Server) emit(e Event) {
	s.evMu.Lock()
	defer s.evMu.Unlock()
	s.cfg.Events(e)
}

// Serve accepts instances until ctx is done, then closes every connection
// and returns nil.
func (s *Server) Serve(ctx context.Context) error {
	if s.ln == nil {
		return errors.New("clc simulator: Serve before Listen")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s.cfg.MCast != "" {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.sendJoins(ctx) }()
	}
	go func() {
		<-ctx.Done()
		s.ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	}()
	var err error
	for {
		c, aerr := s.ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("clc simulator: accept: %w", aerr)
			}
			break
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(ctx, c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
	cancel()
	s.wg.Wait()
	return err
}

func (s *Server) advertise() (clcproto.Join, error) {
	addr := s.cfg.Advertise
	if addr == "" {
		addr = s.ln.Addr().String()
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return clcproto.Join{}, fmt.Errorf("advertise address: %w", err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return clcproto.Join{}, fmt.Errorf("advertise port: %w", err)
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() == nil {
		return clcproto.Join{}, fmt.Errorf("advertise address %q is not an IPv4 address", host)
	}
	if ip.IsUnspecified() {
		host = hostname.FirstIPv4(net.InterfaceAddrs)
		if host == "" {
			host = "127.0.0.1"
		}
	}
	return clcproto.Join{IP: host, Port: p}, nil
}

// sendJoins sends a JOIN_REQUEST datagram now and every JoinEvery.
func (s *Server) sendJoins(ctx context.Context) {
	join, err := s.advertise()
	if err != nil {
		s.log.Error("no join datagrams", logging.Error(err))
		return
	}
	pkt, err := clcproto.AppendMarshal(nil, clcproto.Packet{Type: clcproto.JoinRequest, Data: join.AppendMarshal(nil)})
	if err != nil {
		s.log.Error("no join datagrams", logging.Error(err))
		return
	}
	raddr, err := net.ResolveUDPAddr("udp4", s.cfg.MCast)
	if err != nil {
		s.log.Error("bad multicast address", logging.String("mcast", s.cfg.MCast), logging.Error(err))
		return
	}
	t := time.NewTicker(s.cfg.JoinEvery)
	defer t.Stop()
	var lastErr string
	for {
		err := sendDatagram(raddr, pkt)
		switch {
		case err != nil && err.Error() != lastErr:
			s.log.Warn("join datagram not sent", logging.String("mcast", s.cfg.MCast), logging.Error(err))
			lastErr = err.Error()
		case err == nil && lastErr != "":
			lastErr = ""
		}
		if err == nil {
			s.log.Debug("join sent", logging.String("mcast", s.cfg.MCast), logging.String("advertise", join.Addr()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func sendDatagram(to *net.UDPAddr, pkt []byte) error {
	c, err := net.DialUDP("udp4", nil, to)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write(pkt)
	return err
}

func reason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, clcproto.ErrAuthFailed):
		return "wrong-key"
	case errors.Is(err, errUnknownTag):
		return "unknown-tag"
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "closed"
	}
	return "protocol"
}

var errUnknownTag = errors.New("unknown tag")
