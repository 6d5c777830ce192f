package webssh

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/luoyun/osmanager/pkg/termbridge"
	"github.com/luoyun/osmanager/pkg/termproto"
)

// httpSession is the HTTP transport's side of a test client: the stream
// (POST /stream) and the input POSTs.
type httpSession struct {
	base   string // the server's (or the proxy's) URL, ending in /
	origin string
	id     string
	body   io.ReadCloser
	r      *bufio.Reader
	hc     *http.Client
	frames int // output frames received
}

// post sends one message as a batch on POST /input.
func (h *httpSession) post(msg []byte) error {
	req, err := http.NewRequest(http.MethodPost, h.base+"input", bytes.NewReader(termproto.AppendBatch(nil, mustParse(msg))))
	if err != nil {
		return err
	}
	req.Header.Set(SessionHeader, h.id)
	if h.origin != "" {
		req.Header.Set("Origin", h.origin)
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("POST input: %s", resp.Status)
	}
	return nil
}

func mustParse(b []byte) termproto.Message {
	m, err := termproto.Parse(b)
	if err != nil {
		panic(fmt.Sprintf("test sends a bad message %x: %v", b, err))
	}
	return m
}

// openStream opens a session on the HTTP transport at base with Origin
// origin ("" for none). It returns the response when the server refused.
func openStream(t testing.TB, base, origin string) (*client, *http.Response, error) {
	t.Helper()
	return openStreamAs(t, base, "", "", origin)
}

// openStreamAs is openStream from local address from ("" for any) with
// the given Host header ("" for the URL's).
func openStreamAs(t testing.TB, base, from, host, origin string) (*client, *http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if host != "" {
		req.Host = host
	}
	// Its own connection: closing the body closes it, as a closed tab does.
	tr := &http.Transport{DisableKeepAlives: true}
	if from != "" {
		tr.DialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext
	}
	sc := &http.Client{Transport: tr}
	resp, err := sc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, resp, fmt.Errorf("POST stream: %s", resp.Status)
	}
	h := &httpSession{base: base, origin: origin, body: resp.Body, r: bufio.NewReader(resp.Body),
		hc: &http.Client{Timeout: 10 * time.Second}}
	kind, id, err := termproto.ReadFrame(h.r)
	if err != nil || kind != termproto.FrameSession || len(id) != 32 {
		resp.Body.Close()
		return nil, resp, fmt.Errorf("first frame %c %q %v, want the session id", kind, id, err)
	}
	h.id = string(id)
	c := &client{t: t, hs: h, msgs: make(chan wsMsg, 16)}
	go c.pumpStream()
	t.Cleanup(func() { h.body.Close() })
	return c, resp, nil
}

func mustOpenStream(t testing.TB, s *Server) *client {
	t.Helper()
	c, _, err := openStream(t, s.URL(), "http://"+s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pumpStream reads the stream's frames into msgs like pump does for the
// websocket, acknowledging output unless noAck is set.
func (c *client) pumpStream() {
	var total int64
	for {
		kind, p, err := termproto.ReadFrame(c.hs.r)
		if err != nil {
			c.msgs <- wsMsg{err: err}
			close(c.msgs)
			return
		}
		switch kind {
		case termproto.FrameOutput:
			c.hs.frames++
			if !c.noAck.Load() {
				total += int64(len(p))
				_ = c.write(termproto.Ack(uint32(total)).AppendMarshal(nil))
			}
			c.msgs <- wsMsg{kind: 2 /* binary */, data: p}
		case termproto.FrameNotice:
			c.msgs <- wsMsg{kind: 1 /* text */, data: p}
		}
	}
}

func TestStreamEchoResizeUTF8(t *testing.T) {
	s := startServer(t, Config{})
	c := mustOpenStream(t, s)
	c.send(termproto.Resize(80, 24))
	c.input("echo hel''lo; printf '%s-%s\\n' 你好 世界\n")
	c.waitFor("hello", 5*time.Second)
	c.waitFor("你好-世界", 5*time.Second)
	for _, sz := range [][2]uint16{{132, 43}, {40, 10}} {
		c.send(termproto.Resize(sz[0], sz[1]))
		c.input("stty size | sed 's/^/SZ=/'\n")
		c.waitFor("SZ="+itoa(sz[1])+" "+itoa(sz[0]), 5*time.Second)
	}
	c.input("exit 4\n")
	c.waitClosed(5 * time.Second)
	if len(c.notices) != 1 || c.notices[0].Kind != termproto.NoticeExit || !strings.Contains(c.notices[0].Text, "exit status 4") {
		t.Fatalf("notices = %+v, want the exit notice", c.notices)
	}
}

// TestStreamUTF8Split sends a character cut between two output frames:
// the stream carries the bytes as they are, in order, for the page's
// decoder to join.
func TestStreamUTF8Split(t *testing.T) {
	s := startServer(t, Config{Command: []string{"/bin/sh", "-c", `stty raw -echo; printf 'U8:\344\275'; sleep 0.3; printf '\240\345\245\275.'; sleep 5`}})
	c := mustOpenStream(t, s)
	c.waitFor("U8:你好.", 5*time.Second)
	if c.hs.frames < 2 {
		t.Fatalf("output came in %d frame(s), want the split across two", c.hs.frames)
	}
}

func TestStreamOrigin(t *testing.T) {
	s := startServer(t, Config{AllowedOrigins: []string{"cloud.example"}, Command: []string{"/bin/cat"}})
	for _, o := range []string{"http://evil.example", "null", "http://evil.example:" + strings.Split(s.Addr().String(), ":")[1]} {
		_, resp, err := openStream(t, s.URL(), o)
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("stream with Origin %q: %v, %v, want 403", o, resp, err)
		}
	}
	if s.Sessions() != 0 {
		t.Fatalf("%d sessions after refusals", s.Sessions())
	}
	c, _, err := openStream(t, s.URL(), "http://cloud.example:8080")
	if err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
	// Input from a foreign page is refused even with the id; an unknown
	// id is unknown.
	foreign := *c.hs
	foreign.origin = "http://evil.example"
	if err := foreign.post(termproto.Input([]byte("x\n")).AppendMarshal(nil)); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("input from a foreign origin: %v, want 403", err)
	}
	unknown := *c.hs
	unknown.id = strings.Repeat("0", 32)
	if err := unknown.post(termproto.Input([]byte("x\n")).AppendMarshal(nil)); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("input for an unknown session: %v, want 404", err)
	}
	c.input("mine\n")
	c.waitFor("mine\r\nmine", 5*time.Second)
}

// TestMaxSessionsBothTransports: the limit counts websocket and HTTP
// sessions together, and each transport tells the page.
func TestMaxSessionsBothTransports(t *testing.T) {
	s := startServer(t, Config{MaxSessions: 2, Command: []string{"/bin/cat"}})
	a, b := mustOpenStream(t, s), mustDial(t, s)
	for _, c := range []*client{a, b} {
		c.input("up\n")
		c.waitFor("up\r\nup", 5*time.Second)
	}
	_, resp, err := openStream(t, s.URL(), "")
	if err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third session: %v, want 503", err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(msg), "all 2 terminal sessions are in use") {
		t.Fatalf("third session's answer %q, want the busy message", msg)
	}
	third := mustDial(t, s)
	third.waitClosed(5 * time.Second)
	if len(third.notices) != 1 || third.notices[0].Kind != termproto.NoticeBusy {
		t.Fatalf("websocket notices = %+v, want busy", third.notices)
	}
	a.hs.body.Close() // the page goes away
	if !pollUntil(5*time.Second, func() bool { return s.Sessions() == 1 }) {
		t.Fatalf("sessions = %d, want 1 after the stream closed", s.Sessions())
	}
	d := mustOpenStream(t, s)
	d.input("again\n")
	d.waitFor("again\r\nagain", 5*time.Second)
}

func TestStreamProtocolErrorEndsSession(t *testing.T) {
	s := startServer(t, Config{Command: []string{"/bin/cat"}})
	for _, body := range [][]byte{{0, 3, 'z', 'z', 'z'}, {0, 9, 'i'}, termproto.AppendBatch(nil, termproto.Ack(1<<20))} {
		c := mustOpenStream(t, s)
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"input", bytes.NewReader(body))
		req.Header.Set(SessionHeader, c.hs.id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		c.waitClosed(5 * time.Second)
		if len(c.notices) != 1 || c.notices[0].Text != "protocol error" {
			t.Fatalf("batch %x: status %d, notices %+v, want the protocol error", body, resp.StatusCode, c.notices)
		}
	}
}

func TestStreamCloseLeaksNothing(t *testing.T) {
	sleeper := uniqueSleep()
	s := startServer(t, Config{Command: []string{"/bin/sh"}, Grace: 200 * time.Millisecond})
	cycle := func(i int) {
		c := mustOpenStream(t, s)
		c.input("trap '' HUP; " + sleeper + " & echo ready$((1+" + strconv.Itoa(i) + "))\n")
		c.waitFor("ready"+strconv.Itoa(i+1), 5*time.Second)
		if i%2 == 0 {
			c.hs.body.Close() // the page goes away
			return
		}
		c.input("exit\n") // the command exits
		c.waitClosed(5 * time.Second)
		c.hs.body.Close()
	}
	n := 100
	if testing.Short() {
		n = 6
	}
	cyclesLeakNothing(t, s, n, sleeper, cycle)
}

// TestStreamStalledReaderBoundedMemory: a page that stops reading its
// stream (and so acknowledges nothing) while the shell floods: the server
// reads at most one window from the shell and its heap stays flat; the
// session ends when the page goes.
func TestStreamStalledReaderBoundedMemory(t *testing.T) {
	s := startServer(t, Config{Command: []string{"/bin/sh", "-c", flood}})
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"stream", nil)
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	// Read nothing: wait for the bridge to stall on the window.
	if !pollUntil(10*time.Second, func() bool { return s.Stats().Stalls.Load() > 0 }) {
		t.Fatal("the bridge never stalled")
	}
	var peak uint64
	var m runtime.MemStats
	// Sampling over a fixed observation window: the test is about what
	// happens over time, not a wait for a condition.
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapInuse)
	}
	out := s.Stats().OutputBytes.Load()
	growth := int64(peak) - int64(base.HeapInuse)
	t.Logf("stalled stream: read %d bytes from the shell, heap in use %d -> peak %d (growth %d)", out, base.HeapInuse, peak, growth)
	if limit := int64(termbridge.DefaultWindow + 32<<10); out > limit || s.Stats().MaxInFlight.Load() > limit {
		t.Fatalf("read %d bytes from the shell for a page reading nothing, want at most %d", out, limit)
	}
	if growth > 8<<20 {
		t.Fatalf("heap grew by %d bytes for a stalled stream, want < 8 MiB", growth)
	}
	resp.Body.Close()
	if !pollUntil(10*time.Second, func() bool { return s.Sessions() == 0 && len(children(t)) == 0 }) {
		t.Fatalf("after the page went: %d sessions, children %v", s.Sessions(), children(t))
	}
}

// TestStreamHostCheck: the Host allowlist against DNS rebinding applies
// to the HTTP transport too, for opening a session and for its input.
func TestStreamHostCheck(t *testing.T) {
	s := startServer(t, Config{Command: []string{"/bin/cat"}, AllowedHosts: []string{"vm1.cloud.example"}})
	p := ":" + itoa(uint16(s.Addr().(*net.TCPAddr).Port))
	_, resp, err := openStreamAs(t, s.URL(), "", "evil.example"+p, "http://evil.example"+p)
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("stream for Host evil.example: %v, %v, want 403", resp, err)
	}
	c, _, err := openStreamAs(t, s.URL(), "", "vm1.cloud.example"+p, "http://vm1.cloud.example"+p)
	if err != nil {
		t.Fatalf("stream for the instance's name: %v", err)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"input", bytes.NewReader(termproto.AppendBatch(nil, termproto.Input([]byte("x\n")))))
	req.Host = "evil.example" + p
	req.Header.Set(SessionHeader, c.hs.id)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden {
		t.Fatalf("input for Host evil.example: %s, want 403", r.Status)
	}
}

// TestStreamLockOutEvicted: sessions an HTTP-transport client holds at
// the login prompt are given up for a newcomer like websocket ones.
func TestStreamLockOutEvicted(t *testing.T) {
	s := startServer(t, Config{MaxSessions: 2, Command: fakeLogin})
	var held []*client
	for range 2 {
		c, _, err := openStreamAs(t, s.URL(), "127.0.0.2", "", "")
		if err != nil {
			t.Fatal(err)
		}
		c.waitFor("login: ", 5*time.Second)
		held = append(held, c)
	}
	user, _, err := openStreamAs(t, s.URL(), "127.0.0.3", "", "")
	if err != nil {
		t.Fatalf("newcomer refused while the sessions are at the login prompt: %v", err)
	}
	user.waitFor("login: ", 5*time.Second)
	ended := 0
	for _, c := range held {
		for c.next(time.Now().Add(200 * time.Millisecond)) {
		}
		if c.closed != nil {
			ended++
		}
	}
	if ended != 1 || s.Sessions() != 2 {
		t.Fatalf("%d held sessions ended, %d open; want 1 given up and 2 open", ended, s.Sessions())
	}
}
