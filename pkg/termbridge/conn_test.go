package termbridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/luoyun/osmanager/pkg/termproto"
)

// chanConn is a transport made of channels, standing for any Conn that
// is not a websocket.
type chanConn struct {
	in      chan []byte
	inErr   error
	mu      sync.Mutex
	out     []byte
	notices []termproto.Notice
	closed  chan struct{}
	once    sync.Once
}

func newChanConn() *chanConn { return &chanConn{in: make(chan []byte), closed: make(chan struct{})} }

func (c *chanConn) ReadMessage() ([]byte, error) {
	select {
	case m, ok := <-c.in:
		if !ok {
			return nil, c.inErr
		}
		return m, nil
	case <-c.closed:
		return nil, errors.New("closed")
	}
}

func (c *chanConn) WriteOutput(p []byte, _ time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out = append(c.out, p...)
	return nil
}

func (c *chanConn) WriteNotice(n termproto.Notice, _ time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notices = append(c.notices, n)
	return nil
}

func (c *chanConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func TestRunConnAnyTransport(t *testing.T) {
	sh := newFake()
	c := newChanConn()
	errc := make(chan error, 1)
	go func() { errc <- RunConn(context.Background(), c, sh, Config{}, zaptest.NewLogger(t)) }()
	c.in <- termproto.Input([]byte("ls\r")).AppendMarshal(nil)
	sh.out <- []byte("out")
	sh.exit(0)
	if err := <-errc; err != nil {
		t.Fatalf("RunConn = %v", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if string(c.out) != "out" || len(c.notices) != 1 || c.notices[0].Kind != termproto.NoticeExit {
		t.Fatalf("page got %q and %+v, want the output and the exit notice", c.out, c.notices)
	}
	select {
	case <-c.closed:
	default:
		t.Fatal("RunConn returned without closing the transport")
	}
}

// TestRunConnProtocolError: a transport reporting ErrProtocol ends the
// session with the protocol-error notice and the error.
func TestRunConnProtocolError(t *testing.T) {
	sh := newFake()
	c := newChanConn()
	c.inErr = fmt.Errorf("%w: bad batch", ErrProtocol)
	close(c.in)
	errc := make(chan error, 1)
	go func() { errc <- RunConn(context.Background(), c, sh, Config{}, zaptest.NewLogger(t)) }()
	select {
	case <-c.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the transport was not closed after its protocol error")
	}
	sh.exit(0) // the fake's Read, unlike a PTY's, returns only when it exits
	err := <-errc
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("RunConn = %v, want ErrProtocol", err)
	}
	if len(c.notices) != 1 || c.notices[0].Text != "protocol error" || !sh.closed {
		t.Fatalf("notices %+v, shell closed %v; want the protocol error and a closed shell", c.notices, sh.closed)
	}
}
