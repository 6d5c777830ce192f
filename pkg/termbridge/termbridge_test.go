package termbridge

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap/zaptest"

	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/pkg/termproto"
)

// fakeShell plays a command: Read returns the chunks of out, then EOF
// after marking itself done with code; Write records input.
type fakeShell struct {
	mu      sync.Mutex
	out     chan []byte
	in      bytes.Buffer
	sizes   [][2]uint16
	done    chan struct{}
	code    int
	closed  bool
	closeMu sync.Once
}

func newFake() *fakeShell {
	return &fakeShell{out: make(chan []byte), done: make(chan struct{})}
}

func (f *fakeShell) Read(p []byte) (int, error) {
	b, ok := <-f.out
	if !ok {
		return 0, io.EOF
	}
	return copy(p, b), nil
}

func (f *fakeShell) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.in.Write(p)
}

func (f *fakeShell) Resize(c, r uint16) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sizes = append(f.sizes, [2]uint16{c, r})
	return nil
}

func (f *fakeShell) exit(code int) {
	f.code = code
	close(f.done)
	close(f.out)
}

func (f *fakeShell) Close() error {
	f.closeMu.Do(func() {
		f.mu.Lock()
		f.closed = true
		f.mu.Unlock()
	})
	return nil
}
func (f *fakeShell) Done() <-chan struct{} { return f.done }
func (f *fakeShell) ExitCode() int         { return f.code }

// serve runs Run for sh behind a websocket endpoint and dials it.
func serve(t *testing.T, sh Shell, cfg Config) (*websocket.Conn, <-chan error) {
	t.Helper()
	errc := make(chan error, 1)
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			errc <- err
			return
		}
		errc <- Run(context.Background(), ws, sh, cfg, zaptest.NewLogger(t))
	}))
	t.Cleanup(srv.Close)
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, errc
}

func TestOutputThenExitNotice(t *testing.T) {
	sh := newFake()
	c, errc := serve(t, sh, Config{})
	if err := c.WriteMessage(websocket.BinaryMessage, termproto.Resize(90, 30).AppendMarshal(nil)); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessage(websocket.BinaryMessage, termproto.Input([]byte("ls\r")).AppendMarshal(nil)); err != nil {
		t.Fatal(err)
	}
	go func() {
		// Answer once the input has arrived (after the resize).
		poll.Wait(poll.Timeout, func() bool {
			sh.mu.Lock()
			defer sh.mu.Unlock()
			return sh.in.Len() > 0
		})
		for _, s := range []string{"one ", "two ", "three"} {
			sh.out <- []byte(s)
		}
		sh.exit(5)
	}()
	var got bytes.Buffer
	var notice termproto.Notice
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		kind, data, err := c.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
				t.Fatalf("connection ended with %v, want a normal close", err)
			}
			break
		}
		if kind == websocket.BinaryMessage {
			if notice.Kind != "" {
				t.Fatalf("output %q after the exit notice", data)
			}
			got.Write(data)
			continue
		}
		if notice, err = termproto.ParseNotice(data); err != nil {
			t.Fatal(err)
		}
	}
	if got.String() != "one two three" {
		t.Fatalf("output %q, want %q", got.String(), "one two three")
	}
	if notice.Kind != termproto.NoticeExit || notice.Text != "session ended (exit status 5)" {
		t.Fatalf("notice %+v, want exit status 5", notice)
	}
	if err := <-errc; err != nil {
		t.Fatalf("Run = %v", err)
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if !sh.closed || sh.in.String() != "ls\r" || len(sh.sizes) != 1 || sh.sizes[0] != [2]uint16{90, 30} {
		t.Fatalf("shell: closed %v, input %q, sizes %v", sh.closed, sh.in.String(), sh.sizes)
	}
}

func TestWindowStopsReading(t *testing.T) {
	sh := newFake()
	stats := &Stats{}
	c, _ := serve(t, sh, Config{Window: 10, ReadSize: 4, Stats: stats})
	fed := make(chan int, 1)
	go func() {
		n := 0
		for {
			select {
			case sh.out <- []byte("abcd"):
				n += 4
			case <-time.After(300 * time.Millisecond):
				fed <- n
				return
			}
		}
	}()
	// Without acknowledgements the bridge takes at most the window plus
	// one read (10 + 4 rounded to whole reads: 12).
	if n := <-fed; n != 12 {
		t.Fatalf("bridge read %d bytes without acknowledgements, want 12", n)
	}
	var got int
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for got < 12 {
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		got += len(data)
	}
	if err := c.WriteMessage(websocket.BinaryMessage, termproto.Ack(uint32(got)).AppendMarshal(nil)); err != nil {
		t.Fatal(err)
	}
	select {
	case sh.out <- []byte("more"):
	case <-time.After(5 * time.Second):
		t.Fatal("bridge did not read again after the acknowledgement")
	}
	if stats.Stalls.Load() == 0 || stats.MaxInFlight.Load() != 12 {
		t.Fatalf("stalls %d, max in flight %d, want > 0 and 12", stats.Stalls.Load(), stats.MaxInFlight.Load())
	}
}
