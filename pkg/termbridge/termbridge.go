// Package termbridge connects one browser page to one shell: input and
// resize messages go to the shell, its output goes back to the page, with
// flow control so that a slow browser makes the bridge stop reading the
// shell instead of buffering without bound. The page side is a Conn: a
// websocket (WebSocket) or any other transport carrying termproto
// messages, such as webssh's HTTP fallback.
package termbridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/termproto"
)

// Shell is the terminal side of a session (ptyshell.Shell in production).
type Shell interface {
	io.ReadWriter
	// Resize sets the terminal size.
	Resize(cols, rows uint16) error
	// Close ends the command and its session and reaps it.
	Close() error
	// Done is closed when the command has exited.
	Done() <-chan struct{}
	// ExitCode is the command's status once Done is closed.
	ExitCode() int
}

// Config tunes a session.
type Config struct {
	// Window is how many output bytes may be sent and not yet
	// acknowledged by the page; 0 means DefaultWindow.
	Window int
	// ReadSize is the buffer for one read of the shell's output; 0
	// means 32 KiB.
	ReadSize int
	// IdleTimeout ends a session with no input for this long; 0 means
	// never.
	IdleTimeout time.Duration
	// WriteTimeout bounds one write to the page; 0 means 30s.
	WriteTimeout time.Duration
	// Stats, when set, receives counters (shared by all sessions of a
	// server).
	Stats *Stats
}

// DefaultWindow is the default flow-control window.
const DefaultWindow = 256 << 10

// Stats counts what the bridges did; safe for concurrent use.
type Stats struct {
	// OutputBytes is what was read from shells and sent.
	OutputBytes atomic.Int64
	// InFlight is sent and not yet acknowledged output, over all sessions.
	InFlight atomic.Int64
	// MaxInFlight is the largest InFlight seen by one session.
	MaxInFlight atomic.Int64
	// Stalls counts the times a session stopped reading its shell for
	// want of acknowledgements.
	Stalls atomic.Int64
}

func (s *Stats) observe(unacked int64) {
	for {
		m := s.MaxInFlight.Load()
		if unacked <= m || s.MaxInFlight.CompareAndSwap(m, unacked) {
			return
		}
	}
}

// ErrProtocol is a malformed or impossible message from the page.
var ErrProtocol = errors.New("termbridge: protocol error")

type bridge struct {
	conn  Conn
	sh    Shell
	cfg   Config
	log   logging.Leveled
	stats *Stats

	ctx    context.Context
	cancel context.CancelFunc

	// Output read from the shell and not yet taken by the writer: the
	// reader appends, the writer takes it all as one frame, so frames grow
	// when the page is slower than the shell.
	mu      sync.Mutex
	pending []byte
	exit    *termproto.Notice // set after the shell's last output
	dataSig chan struct{}

	// Flow control: byte counts modulo 2^32. sent counts what was read
	// from the shell, written what the writer has handed to the
	// page; an acknowledgement counts for no more than written, so a
	// page that acknowledges output it cannot have read does not make the
	// bridge read on while the socket is blocked.
	sent    atomic.Uint32
	written atomic.Uint32
	acked   atomic.Uint32
	ackSig  chan struct{}

	endOnce sync.Once
	final   *termproto.Notice // set once before cancel, read by the writer after ctx is done
	err     error
}

// Run bridges the websocket ws and sh; see RunConn.
func Run(ctx context.Context, ws *websocket.Conn, sh Shell, cfg Config, log logging.Leveled) error {
	return RunConn(ctx, WebSocket(ws), sh, cfg, log)
}

// RunConn bridges the page's transport conn and sh until the command
// exits, the page goes away, the idle timeout passes or ctx is cancelled.
// It always closes sh (killing and reaping the command) and conn before
// returning. The error is nil for the normal endings. log gets the
// session's debug lines (a *logging.Logger or a *zap.Logger; nil logs
// nothing).
func RunConn(ctx context.Context, conn Conn, sh Shell, cfg Config, log logging.Leveled) error {
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.ReadSize <= 0 {
		cfg.ReadSize = 32 << 10
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	b := &bridge{conn: conn, sh: sh, cfg: cfg, log: logging.OrNop(log), stats: cfg.Stats,
		dataSig: make(chan struct{}, 1), ackSig: make(chan struct{}, 1)}
	if b.stats == nil {
		b.stats = &Stats{}
	}
	// The session's own context: cancelled only through end, so that
	// the final notice is always recorded before the writer looks at it.
	b.ctx, b.cancel = context.WithCancel(context.WithoutCancel(ctx))
	defer b.cancel()
	stop := context.AfterFunc(ctx, func() {
		// A cause other than plain cancellation says why (for example
		// that another visitor took the place of this session).
		text := "server shutting down"
		if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) && !errors.Is(c, context.DeadlineExceeded) {
			text = c.Error()
		}
		b.end(&termproto.Notice{Kind: termproto.NoticeError, Text: text}, nil)
	})
	defer stop()

	var idle *time.Timer
	if cfg.IdleTimeout > 0 {
		idle = time.AfterFunc(cfg.IdleTimeout, func() {
			b.end(&termproto.Notice{Kind: termproto.NoticeIdle,
				Text: fmt.Sprintf("no input for %s: session closed", cfg.IdleTimeout)}, nil)
		})
		defer idle.Stop()
	}

	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); b.readPage(idle) }()
	go func() { defer wg.Done(); b.readShell() }()
	writerDone := make(chan struct{})
	go func() { defer wg.Done(); defer close(writerDone); b.write() }()

	<-b.ctx.Done()
	sh.Close()
	<-writerDone
	conn.Close()
	wg.Wait()
	b.stats.InFlight.Add(-int64(b.sent.Load() - b.acked.Load()))
	return b.err
}

// end records why the session ends (first caller wins) and stops it.
func (b *bridge) end(n *termproto.Notice, err error) {
	b.endOnce.Do(func() {
		b.final = n
		b.err = err
		b.cancel()
	})
}

// readPage handles the page's messages.
func (b *bridge) readPage(idle *time.Timer) {
	for {
		data, err := b.conn.ReadMessage()
		if errors.Is(err, ErrProtocol) {
			b.end(&termproto.Notice{Kind: termproto.NoticeError, Text: "protocol error"}, err)
			return
		}
		if err != nil {
			b.end(nil, nil) // the page went away or the session is ending
			return
		}
		m, err := termproto.Parse(data)
		if err != nil {
			b.end(&termproto.Notice{Kind: termproto.NoticeError, Text: "protocol error"}, fmt.Errorf("%w: %v", ErrProtocol, err))
			return
		}
		switch m.Type {
		case termproto.TypeInput:
			if idle != nil {
				idle.Reset(b.cfg.IdleTimeout)
			}
			if _, err := b.sh.Write(m.Data); err != nil {
				b.log.Debug("write to shell", logging.Error(err))
			}
		case termproto.TypeResize:
			b.log.Debug("resize", logging.Uint16("cols", m.Cols), logging.Uint16("rows", m.Rows))
			if err := b.sh.Resize(m.Cols, m.Rows); err != nil {
				b.log.Debug("resize", logging.Error(err))
			}
		case termproto.TypeAck:
			acked := b.acked.Load()
			if m.Acked-acked > b.sent.Load()-acked {
				b.end(&termproto.Notice{Kind: termproto.NoticeError, Text: "protocol error"},
					fmt.Errorf("%w: acknowledged %d bytes, sent %d", ErrProtocol, m.Acked, b.sent.Load()))
				return
			}
			if w := b.written.Load(); m.Acked-acked > w-acked {
				// Acknowledged before it was even written to the socket:
				// the page is lying (or broken); it gets credit only for
				// what was written.
				m.Acked = w
			}
			b.acked.Store(m.Acked)
			b.stats.InFlight.Add(-int64(m.Acked - acked))
			select {
			case b.ackSig <- struct{}{}:
			default:
			}
		}
	}
}

// readShell copies the shell's output to the writer, waiting for
// acknowledgements whenever a full window is in flight.
func (b *bridge) readShell() {
	window := uint32(b.cfg.Window)
	buf := make([]byte, b.cfg.ReadSize)
	for {
		for b.sent.Load()-b.acked.Load() >= window {
			b.stats.Stalls.Add(1)
			select {
			case <-b.ackSig:
			case <-b.ctx.Done():
				return
			}
		}
		n, err := b.sh.Read(buf)
		if n > 0 {
			unacked := int64(b.sent.Add(uint32(n)) - b.acked.Load())
			b.stats.observe(unacked)
			b.stats.InFlight.Add(int64(n))
			b.stats.OutputBytes.Add(int64(n))
			b.mu.Lock()
			b.pending = append(b.pending, buf[:n]...)
			b.mu.Unlock()
			b.signal()
		}
		if err != nil {
			// EOF or EIO: the command has gone (or Close ran). Report how
			// it ended, after the output.
			select {
			case <-b.sh.Done():
			case <-b.ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
			b.mu.Lock()
			b.exit = &termproto.Notice{Kind: termproto.NoticeExit, Text: exitText(b.sh)}
			b.mu.Unlock()
			b.signal()
			return
		}
	}
}

func (b *bridge) signal() {
	select {
	case b.dataSig <- struct{}{}:
	default:
	}
}

func exitText(sh Shell) string {
	select {
	case <-sh.Done():
		if c := sh.ExitCode(); c >= 0 {
			return fmt.Sprintf("session ended (exit status %d)", c)
		}
		return "session ended (killed by a signal)"
	default:
		return "session ended"
	}
}

// write is the only goroutine writing to the page.
func (b *bridge) write() {
	var spare []byte
	for {
		select {
		case <-b.dataSig:
			b.mu.Lock()
			data, exit := b.pending, b.exit
			b.pending = spare[:0]
			b.mu.Unlock()
			if len(data) > 0 {
				// Counted before the write: the page may acknowledge a
				// frame before WriteOutput has returned.
				b.written.Add(uint32(len(data)))
				if err := b.conn.WriteOutput(data, time.Now().Add(b.cfg.WriteTimeout)); err != nil {
					b.log.Debug("write to page", logging.Error(err))
					b.end(nil, nil)
					return
				}
			}
			// Keep the buffer for the next frame unless a burst left it
			// large and little used.
			spare = data
			if cap(data) > 64<<10 && len(data) < cap(data)/4 {
				spare = nil
			}
			if exit != nil {
				_ = b.conn.WriteNotice(*exit, time.Now().Add(time.Second))
				b.end(nil, nil)
				return
			}
		case <-b.ctx.Done():
			if b.final != nil {
				_ = b.conn.WriteNotice(*b.final, time.Now().Add(time.Second))
			}
			return
		}
	}
}
