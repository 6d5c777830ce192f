package webssh

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luoyun/osmanager/internal/logtest"
	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/internal/servetest"
	"github.com/luoyun/osmanager/pkg/termproto"
)

// startServer runs a server for cfg on 127.0.0.1:0 until the test ends.
func startServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	if cfg.MaxSessions == 0 {
		cfg.MaxSessions = 8
	}
	if cfg.Command == nil {
		cfg.Command = []string{"/bin/sh"}
	}
	if cfg.Grace == 0 {
		cfg.Grace = 500 * time.Millisecond
	}
	s, err := New(cfg, logtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	servetest.Start(t, s)
	return s
}

// client is a test websocket client. A goroutine reads the connection
// and acknowledges output as it arrives (unless noAck is set).
type client struct {
	t       testing.TB
	c       *websocket.Conn // the websocket, or nil on the HTTP transport
	hs      *httpSession    // the HTTP transport
	wmu     sync.Mutex
	msgs    chan wsMsg
	out     bytes.Buffer
	read    int64
	notices []termproto.Notice
	closed  error
	noAck   atomic.Bool
}

type wsMsg struct {
	kind int
	data []byte
	err  error
}

func dial(t testing.TB, s *Server, origin string) (*client, *http.Response, error) {
	t.Helper()
	return dialAs(t, s, "", "", origin)
}

func (c *client) pump() {
	var total int64
	for {
		kind, data, err := c.c.ReadMessage()
		if err != nil {
			c.msgs <- wsMsg{err: err}
			close(c.msgs)
			return
		}
		if kind == websocket.BinaryMessage && !c.noAck.Load() {
			total += int64(len(data))
			c.write(termproto.Ack(uint32(total)).AppendMarshal(nil))
		}
		c.msgs <- wsMsg{kind: kind, data: data}
	}
}

func (c *client) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.hs != nil {
		return c.hs.post(b)
	}
	return c.c.WriteMessage(websocket.BinaryMessage, b)
}

func mustDial(t testing.TB, s *Server) *client {
	t.Helper()
	c, _, err := dial(t, s, "http://"+s.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return c
}

func (c *client) send(m termproto.Message) {
	c.t.Helper()
	if err := c.write(m.AppendMarshal(nil)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *client) input(s string) { c.send(termproto.Input([]byte(s))) }

// next takes one message; it reports false when the connection has
// closed or nothing came before the deadline.
func (c *client) next(deadline time.Time) bool {
	c.t.Helper()
	if c.closed != nil {
		return false
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	var m wsMsg
	select {
	case m = <-c.msgs:
	case <-t.C:
		return false
	}
	if m.err != nil {
		c.closed = m.err
		return false
	}
	switch m.kind {
	case websocket.BinaryMessage:
		c.out.Write(m.data)
		c.read += int64(len(m.data))
	case websocket.TextMessage:
		n, err := termproto.ParseNotice(m.data)
		if err != nil {
			c.t.Fatalf("bad notice %q: %v", m.data, err)
		}
		c.notices = append(c.notices, n)
	}
	return true
}

// waitFor reads until the output contains want.
func (c *client) waitFor(want string, d time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(c.out.String(), want) {
		if !c.next(deadline) {
			c.t.Fatalf("waiting for %q: %v; output %q", want, c.closed, tail(c.out.String()))
		}
	}
}

// waitClosed reads until the server closes the connection.
func (c *client) waitClosed(d time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for c.next(deadline) {
	}
	if c.hs != nil {
		if !errors.Is(c.closed, io.EOF) {
			c.t.Fatalf("stream ended with %v, want its end; output %q", c.closed, tail(c.out.String()))
		}
		return
	}
	var ce *websocket.CloseError
	if !errors.As(c.closed, &ce) {
		c.t.Fatalf("connection ended with %v, want a close frame; output %q", c.closed, tail(c.out.String()))
	}
}

func tail(s string) string {
	if len(s) > 300 {
		return "..." + s[len(s)-300:]
	}
	return s
}

func TestEchoResizeUTF8(t *testing.T) {
	s := startServer(t, Config{})
	c := mustDial(t, s)
	c.send(termproto.Resize(80, 24))
	tests := []struct {
		name, input, want string
	}{
		{"echo", "echo hel''lo\n", "hello"},
		{"utf8 input and output", "printf '%s-%s\\n' 你好 世界\n", "你好-世界"},
		{"utf8 bytes from octal", "printf '\\344\\275\\240\\345\\245\\275!\\n'\n", "你好!"},
		{"resize", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "resize" {
				for _, sz := range [][2]uint16{{132, 43}, {40, 10}, {200, 60}} {
					c.send(termproto.Resize(sz[0], sz[1]))
					c.input("stty size | sed 's/^/SZ=/'\n")
					c.waitFor("SZ="+itoa(sz[1])+" "+itoa(sz[0]), 5*time.Second)
				}
				return
			}
			c.input(tt.input)
			c.waitFor(tt.want, 5*time.Second)
		})
	}
}

func itoa(n uint16) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

func TestCatUTF8RoundTrip(t *testing.T) {
	s := startServer(t, Config{Command: []string{"/bin/cat"}})
	c := mustDial(t, s)
	c.input("你好\n")
	// The terminal echoes the input and cat prints it back: two copies.
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(c.out.String(), "你好") < 2 {
		if !c.next(deadline) {
			t.Fatalf("output %q: %v", c.out.String(), c.closed)
		}
	}
	if got := c.out.String(); got != "你好\r\n你好\r\n" {
		t.Fatalf("output = %q, want %q", got, "你好\r\n你好\r\n")
	}
}

func TestBinaryOutput(t *testing.T) {
	s := startServer(t, Config{Command: []string{"/bin/sh", "-c", "stty raw -echo; printf '\\377\\000\\200\\033[0mEND'; sleep 5"}})
	c := mustDial(t, s)
	c.waitFor("END", 5*time.Second)
	if want := "\xff\x00\x80\x1b[0mEND"; !strings.Contains(c.out.String(), want) {
		t.Fatalf("output %q does not contain %q", c.out.String(), want)
	}
}

func TestCommandExitEndsSession(t *testing.T) {
	s := startServer(t, Config{Command: []string{"/bin/sh", "-c", "echo bye; exit 3"}})
	c := mustDial(t, s)
	c.waitClosed(5 * time.Second)
	if !strings.Contains(c.out.String(), "bye") {
		t.Fatalf("output %q lacks the command's last words", c.out.String())
	}
	if len(c.notices) != 1 || c.notices[0].Kind != termproto.NoticeExit || !strings.Contains(c.notices[0].Text, "exit status 3") {
		t.Fatalf("notices = %+v, want one exit notice with status 3", c.notices)
	}
}

func TestOrigin(t *testing.T) {
	s := startServer(t, Config{AllowedOrigins: []string{"cloud.example", "https://front.example:8443"}})
	self := "http://" + s.Addr().String()
	tests := []struct {
		origin string
		ok     bool
	}{
		{self, true},
		{"", true},
		{"http://evil.example", false},
		{"http://evil.example:" + strings.Split(s.Addr().String(), ":")[1], false},
		{"http://cloud.example:1234", true},
		{"https://front.example:8443", true},
		{"http://front.example:8443", false},
		{"null", false},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			c, resp, err := dial(t, s, tt.origin)
			if tt.ok {
				if err != nil {
					t.Fatalf("dial with Origin %q: %v", tt.origin, err)
				}
				c.c.Close()
				return
			}
			if err == nil {
				t.Fatalf("dial with Origin %q succeeded, want refusal", tt.origin)
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("dial with Origin %q: response %v, want 403", tt.origin, resp)
			}
		})
	}
}

func TestOriginAllowed(t *testing.T) {
	tests := []struct {
		origin, host string
		allowed      []string
		want         bool
	}{
		{"http://10.0.0.5:8001", "10.0.0.5:8001", nil, true},
		{"http://10.0.0.5:8001", "10.0.0.5:8002", nil, false},
		{"HTTP://Host.Example:8001", "host.example:8001", nil, true},
		{"http://a.example", "b.example", []string{"a.example"}, true},
		{"http://a.example:99", "b.example", []string{"a.example:98"}, false},
		{"http://a.example:99", "b.example", []string{" a.example:99 "}, true},
		{"ftp://a.example", "a.example", nil, false},
		{"http://", "a.example", []string{""}, false},
		{"%zz", "a.example", nil, false},
		{"https://a.example", "b.example", []string{"https://a.example/"}, true},
	}
	for _, tt := range tests {
		if got := OriginAllowed(tt.origin, tt.host, tt.allowed); got != tt.want {
			t.Errorf("OriginAllowed(%q, %q, %q) = %v, want %v", tt.origin, tt.host, tt.allowed, got, tt.want)
		}
	}
}

func TestMaxSessions(t *testing.T) {
	s := startServer(t, Config{MaxSessions: 2, Command: []string{"/bin/cat"}})
	a, b := mustDial(t, s), mustDial(t, s)
	for _, c := range []*client{a, b} {
		c.input("up\n")
		c.waitFor("up\r\nup", 5*time.Second)
	}
	third := mustDial(t, s)
	third.waitClosed(5 * time.Second)
	var ce *websocket.CloseError
	if errors.As(third.closed, &ce); ce.Code != websocket.CloseTryAgainLater {
		t.Fatalf("close code %d, want %d", ce.Code, websocket.CloseTryAgainLater)
	}
	if len(third.notices) != 1 || third.notices[0].Kind != termproto.NoticeBusy || !strings.Contains(third.notices[0].Text, "all 2 terminal sessions are in use") {
		t.Fatalf("notices = %+v, want the busy message", third.notices)
	}
	// Closing one makes room for another.
	a.c.Close()
	poll.Until(t, poll.Timeout, "one session left after a close", func() bool { return s.Sessions() == 1 })
	d := mustDial(t, s)
	d.input("again\n")
	d.waitFor("again\r\nagain", 5*time.Second)
}

// forTransports runs f once per transport, with the way a test client
// opens a session over it.
func forTransports(t *testing.T, f func(t *testing.T, open func(testing.TB, *Server) *client)) {
	t.Run("websocket", func(t *testing.T) { f(t, mustDial) })
	t.Run("http", func(t *testing.T) { f(t, mustOpenStream) })
}

func TestIdleTimeout(t *testing.T) {
	forTransports(t, func(t *testing.T, open func(testing.TB, *Server) *client) {
		s := startServer(t, Config{IdleTimeout: 300 * time.Millisecond, Command: []string{"/bin/cat"}})
		c := open(t, s)
		start := time.Now()
		var lastInput time.Time
		// Input keeps the session alive past the timeout.
		for time.Since(start) < 600*time.Millisecond {
			lastInput = time.Now()
			c.input("k\n")
			c.waitFor("k\r\nk", 5*time.Second)
			c.out.Reset()
			time.Sleep(100 * time.Millisecond) // input spaced in time: the test is about the idle timer
		}
		c.waitClosed(5 * time.Second)
		// The server resets its timer when it receives the input, after we
		// sent it: the close comes at least the timeout after the send.
		if d := time.Since(lastInput); d < 300*time.Millisecond {
			t.Fatalf("session closed %v after the last input, want at least 300ms", d)
		}
		if len(c.notices) != 1 || c.notices[0].Kind != termproto.NoticeIdle || !strings.Contains(c.notices[0].Text, "no input for 300ms") {
			t.Fatalf("notices = %+v, want the idle message", c.notices)
		}
	})
}

func TestProtocolErrorEndsSession(t *testing.T) {
	tests := []struct {
		name string
		kind int
		data []byte
	}{
		{"text frame", websocket.TextMessage, []byte("hello")},
		{"unknown type", websocket.BinaryMessage, []byte("zzz")},
		{"ack beyond sent", websocket.BinaryMessage, termproto.Ack(1 << 20).AppendMarshal(nil)},
		{"oversized", websocket.BinaryMessage, append([]byte{'i'}, bytes.Repeat([]byte("x"), termproto.MaxMessage)...)},
	}
	s := startServer(t, Config{Command: []string{"/bin/cat"}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustDial(t, s)
			if err := c.c.WriteMessage(tt.kind, tt.data); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for c.next(deadline) {
			}
			if c.closed == nil {
				t.Fatal("session still open")
			}
		})
	}
}

func TestPage(t *testing.T) {
	s := startServer(t, Config{Title: "vm-<42>.example"})
	resp, err := http.Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(body.String(), "<title>vm-&lt;42&gt;.example</title>") {
		t.Fatalf("page title not found (escaped) in %q", body.String())
	}
	for _, p := range []string{"static/xterm.js", "static/xterm.css", "static/addon-fit.js", "static/webssh.js", "static/LICENSE.xterm"} {
		r, err := http.Get(s.URL() + p)
		if err != nil {
			t.Fatal(err)
		}
		// Go's client asks for gzip and undoes it: the body is the plain file.
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil || r.StatusCode != http.StatusOK || len(b) < 100 {
			t.Errorf("GET %s: %d, %d bytes, %v", p, r.StatusCode, len(b), err)
		}
	}
	r, err := http.Get(s.URL() + "nothing")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nothing: %d, want 404", r.StatusCode)
	}
}

// TestDefaultCommandAsksForLogin runs the default command, /bin/login,
// which needs root, and expects its prompt.
func TestDefaultCommandAsksForLogin(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: /bin/login needs root")
	}
	if _, err := os.Stat("/bin/login"); err != nil {
		t.Skipf("skipping: %v", err)
	}
	s := startServer(t, Config{Command: []string{"/bin/login"}})
	c := mustDial(t, s)
	c.waitFor("login: ", 10*time.Second)
	c.input("nosuchuser\r")
	c.waitFor("Password: ", 10*time.Second)
	c.c.Close()
	if !pollUntil(10*time.Second, func() bool { return s.Sessions() == 0 && len(children(t)) == 0 }) {
		t.Fatalf("after closing: %d sessions, children %v", s.Sessions(), children(t))
	}
}
