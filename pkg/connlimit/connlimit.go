// Package connlimit caps a server's open connections, in total and per
// source address, at accept time: a connection over a cap is closed at
// once (after a canned refusal, if one is set), so that no client can
// hold more than its share of the process's file descriptors.
package connlimit

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// Config sets the caps.
type Config struct {
	// Total caps the connections open at once.
	Total int
	// PerSource caps those from one source: an IPv4 address, or an IPv6
	// /64 (which one client usually has whole).
	PerSource int
	// Refusal, when set, is written to a refused connection before it is
	// closed (e.g. an HTTP 503 with Connection: close); nil for plain
	// TCP or TLS.
	Refusal []byte
	// OnRefuse, when set, is called for each refused connection with its
	// source and whether the total cap (else the source's) was reached.
	OnRefuse func(source string, total bool)
}

// Validate checks the caps.
func (c *Config) Validate() error {
	if c.Total < 1 || c.PerSource < 1 {
		return fmt.Errorf("connection caps must be at least 1, got total %d per source %d", c.Total, c.PerSource)
	}
	return nil
}

// Listener is a net.Listener whose Accept returns only connections
// within the caps; each counts until it is closed.
type Listener struct {
	net.Listener
	cfg Config

	mu    sync.Mutex
	total int
	per   map[string]int
}

// New wraps ln with the caps of cfg.
func New(ln net.Listener, cfg Config) (*Listener, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Listener{Listener: ln, cfg: cfg, per: make(map[string]int)}, nil
}

// Accept waits for the next connection within the caps; those over a cap
// are refused and closed meanwhile.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		src := Source(c.RemoteAddr())
		if total, ok := l.take(src); !ok {
			l.refuse(c)
			if l.cfg.OnRefuse != nil {
				l.cfg.OnRefuse(src, total)
			}
			continue
		}
		return &conn{Conn: c, l: l, src: src}, nil
	}
}

// take counts a connection from src; it reports false (and whether the
// total cap was the reason) when a cap is reached.
func (l *Listener) take(src string) (total, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.cfg.Total {
		return true, false
	}
	if l.per[src] >= l.cfg.PerSource {
		return false, false
	}
	l.total++
	l.per[src]++
	return false, true
}

func (l *Listener) release(src string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.per[src]--; l.per[src] <= 0 {
		delete(l.per, src)
	}
}

// Open returns the number of connections counted.
func (l *Listener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// refuse writes the refusal, if any, without waiting, and closes c.
func (l *Listener) refuse(c net.Conn) {
	if len(l.cfg.Refusal) > 0 {
		// A fresh connection's send buffer takes it at once; a deadline
		// in the past would fail the write before it is tried.
		_ = c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		_, _ = c.Write(l.cfg.Refusal)
	}
	_ = c.Close()
}

// conn releases its place once, on its first Close.
type conn struct {
	net.Conn
	l    *Listener
	src  string
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.src) })
	return err
}

// CloseWrite half-closes a TCP connection (net/http sends its last
// response so, to avoid a reset); other connections do nothing.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps the TCP connection's sendfile/splice path for io.Copy.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// Source returns the source a connection from addr counts against: the
// IPv4 address, or the IPv6 /64; addr's string when it is no IP address.
func Source(addr net.Addr) string {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return addr.String()
	}
	a := ap.Addr().Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// FitTotal returns want, or less when the process's file limit
// (RLIMIT_NOFILE, soft) leaves fewer than want descriptors after reserve
// for everything else the process opens; at least 1.
func FitTotal(want, reserve int) int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return want
	}
	free := int(min(rl.Cur, 1<<30)) - reserve
	return max(1, min(want, free))
}

// HTTPRefusal is a Refusal for an HTTP server: 503 with Connection: close
// and a one-line text body.
func HTTPRefusal(text string) []byte {
	return fmt.Appendf(nil, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"+
		"Connection: close\r\nRetry-After: 10\r\nContent-Length: %d\r\n\r\n%s\n", len(text)+1, text)
}
