package webssh

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luoyun/osmanager/internal/logtest"
	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/pkg/termbridge"
	"github.com/luoyun/osmanager/pkg/termproto"
)

// openFDs counts this process's open file descriptors, after closing the
// idle keep-alive connections of the test clients' shared transport (the
// HTTP transport's input POSTs go through http.DefaultTransport, which
// keeps up to two per host: two descriptors each, client and server end,
// both in this process; they are the client's, not a server leak).
func openFDs(t testing.TB) int {
	t.Helper()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// children lists the pids of this process's child processes (zombies
// included: an unreaped child is a leak too).
func children(t testing.TB) []int {
	t.Helper()
	self := os.Getpid()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(self) {
			out = append(out, pid)
		}
	}
	return out
}

// pollUntil polls cond until it holds or d passes (poll.Wait).
func pollUntil(d time.Duration, cond func() bool) bool {
	return poll.Wait(d, cond)
}

func TestOpenCloseCyclesLeakNothing(t *testing.T) {
	sleeper := uniqueSleep()
	if testing.Short() {
		t.Skip("skipping 100 cycles in -short mode")
	}
	// A background job that ignores SIGHUP must not survive either.
	s := startServer(t, Config{Command: []string{"/bin/sh"}, Grace: 200 * time.Millisecond})
	cycle := func(i int) {
		c := mustDial(t, s)
		c.input("trap '' HUP; " + sleeper + " & echo ready$((1+" + strconv.Itoa(i) + "))\n")
		c.waitFor("ready"+strconv.Itoa(i+1), 5*time.Second)
		switch i % 3 {
		case 0: // the page goes away
			c.c.Close()
		case 1: // the page says goodbye
			_ = c.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			c.c.Close()
		case 2: // the command exits
			c.input("exit\n")
			c.waitClosed(5 * time.Second)
			c.c.Close() // the client's own socket, counted in this process too
		}
	}
	cyclesLeakNothing(t, s, 100, sleeper, cycle)
}

// cyclesLeakNothing runs cycle(0) as a warm-up (the poller, the http
// server's goroutines), then cycle(1..n), each a session started and
// ended, and checks that nothing stays: no session, no child process, no
// more open descriptors than after the warm-up, no sleeper (the command
// line of the background job each cycle left in its shell).
func cyclesLeakNothing(t *testing.T, s *Server, n int, sleeper string, cycle func(i int)) {
	t.Helper()
	cycle(0)
	if !pollUntil(10*time.Second, func() bool { return s.Sessions() == 0 && len(children(t)) == 0 }) {
		t.Fatalf("after the warm-up: %d sessions, children %v", s.Sessions(), children(t))
	}
	fds := openFDs(t)
	for i := 1; i <= n; i++ {
		cycle(i)
	}
	if !pollUntil(20*time.Second, func() bool { return s.Sessions() == 0 }) {
		t.Fatalf("%d sessions still open", s.Sessions())
	}
	if !pollUntil(10*time.Second, func() bool { return len(children(t)) == 0 }) {
		t.Fatalf("child processes left: %v", children(t))
	}
	if !pollUntil(10*time.Second, func() bool { return openFDs(t) <= fds }) {
		t.Fatalf("open fds grew from %d to %d after %d sessions", fds, openFDs(t), n)
	}
	// The background sleeps were in the sessions and must be gone too.
	if k := countProcs(t, sleeper); k != 0 {
		t.Fatalf("%d %q processes survived their sessions", k, sleeper)
	}
}

// uniqueSleep returns a sleep command line no other test process runs
// (several webssh.test binaries may run at once on one machine, and
// countProcs looks at every process): "sleep N" with N drawn per call.
func uniqueSleep() string {
	return "sleep " + strconv.Itoa(600000+rand.IntN(300000))
}

// countProcs counts processes whose command line is cmdline.
func countProcs(t testing.TB, cmdline string) int {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		if strings.TrimRight(strings.ReplaceAll(string(b), "\x00", " "), " ") == cmdline {
			n++
		}
	}
	return n
}

const flood = "head -c 209715200 /dev/zero | tr '\\0' x; echo; echo FLOOD-DONE; sleep 60"

func TestFlowControlStopsReadingWithoutAcks(t *testing.T) {
	forTransports(t, func(t *testing.T, open func(testing.TB, *Server) *client) {
		const window = 64 << 10
		s := startServer(t, Config{Command: []string{"/bin/sh", "-c", flood}, Window: window})
		c := open(t, s)
		c.noAck.Store(true)
		// Read what the server sends; it must stop at one window (plus at most
		// one read of the PTY) and stay stopped.
		limit := int64(window + 32<<10)
		if !pollUntil(10*time.Second, func() bool {
			c.next(time.Now().Add(50 * time.Millisecond))
			return c.read >= window
		}) {
			t.Fatalf("received only %d bytes", c.read)
		}
		quiet := time.Now().Add(500 * time.Millisecond)
		for time.Now().Before(quiet) {
			c.next(time.Now().Add(50 * time.Millisecond))
		}
		if c.read > limit {
			t.Fatalf("received %d bytes without acknowledging, want at most %d", c.read, limit)
		}
		if got := s.Stats().MaxInFlight.Load(); got > limit {
			t.Fatalf("MaxInFlight = %d, want <= %d", got, limit)
		}
		if s.Stats().Stalls.Load() == 0 {
			t.Fatal("the bridge never stalled")
		}
		// Acknowledging releases the next window.
		before := c.read
		c.send(termproto.Ack(uint32(c.read)))
		if !pollUntil(5*time.Second, func() bool {
			c.next(time.Now().Add(50 * time.Millisecond))
			return c.read > before
		}) {
			t.Fatal("no output after the acknowledgement")
		}
	})
}

func TestFlowControlSlowReaderBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping 200 MB in -short mode")
	}
	s := startServer(t, Config{Command: []string{"/bin/sh", "-c", flood}})
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+s.Addr().String()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()

	// A slow reader: it takes each frame as it comes but pauses 2ms every
	// 4 MiB, so the shell produces faster than the page consumes.
	var total int64
	var tailBuf []byte
	deadline := time.Now().Add(120 * time.Second)
	nextPause := int64(4 << 20)
	for !bytes.Contains(tailBuf, []byte("FLOOD-DONE")) {
		_ = ws.SetReadDeadline(deadline)
		kind, r, err := ws.NextReader()
		if err != nil {
			t.Fatalf("after %d bytes: %v", total, err)
		}
		if kind != websocket.BinaryMessage {
			continue
		}
		var b bytes.Buffer
		n, _ := io.Copy(&b, r)
		total += n
		tailBuf = append(tailBuf, b.Bytes()...)
		if len(tailBuf) > 64 {
			tailBuf = tailBuf[len(tailBuf)-64:]
		}
		if err := ws.WriteMessage(websocket.BinaryMessage, termproto.Ack(uint32(total)).AppendMarshal(nil)); err != nil {
			t.Fatal(err)
		}
		if total >= nextPause {
			nextPause += 4 << 20
			time.Sleep(2 * time.Millisecond) // the reader's pace: the scenario, not a wait
		}
	}
	close(stop)
	<-sampled
	if total < 200<<20 {
		t.Fatalf("received %d bytes, want at least 200 MiB", total)
	}
	growth := int64(peak.Load()) - int64(base.HeapInuse)
	t.Logf("200 MiB through one session: heap in use %d -> peak %d bytes (growth %d), max in flight %d, stalls %d",
		base.HeapInuse, peak.Load(), growth, s.Stats().MaxInFlight.Load(), s.Stats().Stalls.Load())
	if growth > 24<<20 {
		t.Fatalf("heap grew by %d bytes while streaming 200 MiB, want < 24 MiB", growth)
	}
	if limit := int64(termbridge.DefaultWindow + 32<<10); s.Stats().MaxInFlight.Load() > limit {
		t.Fatalf("MaxInFlight = %d, want <= %d", s.Stats().MaxInFlight.Load(), limit)
	}
}

// TestShutdownEndsSessions: cancelling Serve ends every session of
// either transport with the shutdown notice and leaves no child.
func TestShutdownEndsSessions(t *testing.T) {
	forTransports(t, func(t *testing.T, open func(testing.TB, *Server) *client) {
		s, err := New(Config{Addr: "127.0.0.1:0", Command: []string{"/bin/sh"}, MaxSessions: 4, Grace: 200 * time.Millisecond}, logtest.New(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Listen(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- s.Serve(ctx) }()
		c := open(t, s)
		c.input("echo run''ning\n")
		c.waitFor("running", 5*time.Second)
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Serve = %v, want nil after cancel", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return after cancel")
		}
		c.waitClosed(5 * time.Second)
		if len(c.notices) != 1 || c.notices[0].Text != "server shutting down" {
			t.Fatalf("notices = %+v, want the shutdown notice", c.notices)
		}
		if s.Sessions() != 0 || len(children(t)) != 0 {
			t.Fatalf("after Serve returned: %d sessions, children %v", s.Sessions(), children(t))
		}
	})
}
