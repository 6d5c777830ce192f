package webssh

import (
	"context"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/luoyun/osmanager/internal/servetest"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/termproto"
)

// dialAs opens a websocket from local address from (e.g. 127.0.0.2, ""
// for any) with the given Host and Origin headers ("" for the default
// Host, no Origin).
func dialAs(t testing.TB, s *Server, from, host, origin string) (*client, *http.Response, error) {
	t.Helper()
	d := *websocket.DefaultDialer
	if from != "" {
		nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		d.NetDialContext = nd.DialContext
	}
	h := http.Header{}
	if host != "" {
		h.Set("Host", host)
	}
	if origin != "" {
		h.Set("Origin", origin)
	}
	c, resp, err := d.Dial("ws://"+s.Addr().String()+"/ws", h)
	if err != nil {
		return nil, resp, err
	}
	cl := &client{t: t, c: c, msgs: make(chan wsMsg, 16)}
	go cl.pump()
	t.Cleanup(func() { c.Close() })
	return cl, resp, nil
}

// TestHostCheck: a page of a hostile name that resolves to the instance
// (DNS rebinding) sends matching Host and Origin; it is refused, while
// the instance's own names and addresses work.
func TestHostCheck(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	s, err := New(Config{Addr: "127.0.0.1:0", Command: []string{"/bin/cat"}, MaxSessions: 8, Grace: 200 * time.Millisecond,
		AllowedHosts: []string{"vm1.cloud.example", "*.apps.example"}}, logging.FromCore(core))
	if err != nil {
		t.Fatal(err)
	}
	servetest.Start(t, s)
	port := s.Addr().(*net.TCPAddr).Port
	p := ":" + itoa(uint16(port))
	tests := []struct {
		host string
		ok   bool
	}{
		{"evil.example" + p, false},
		{"evil.example", false},
		{"vm1.cloud.example.evil.example" + p, false},
		{"apps.example" + p, false},
		{"vm1.cloud.example" + p, true}, // behind the front end: the name the user typed
		{"VM1.Cloud.Example.", true},
		{"x.apps.example" + p, true},
		{"127.0.0.1" + p, true},
		{"10.1.2.3", true},
		{"[::1]" + p, true},
		{"[fe80::1]", true},
		{"localhost" + p, true},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			c, resp, err := dialAs(t, s, "", tt.host, "http://"+tt.host)
			if tt.ok {
				if err != nil {
					t.Fatalf("Host %q: %v (%v)", tt.host, err, resp)
				}
				c.input("hi\n")
				c.waitFor("hi\r\nhi", 5*time.Second)
				return
			}
			if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("Host %q: err %v, response %v, want 403", tt.host, err, resp)
			}
		})
	}
	if n := logs.FilterMessage("session refused").FilterField(zap.String("host", "evil.example"+p)).Len(); n != 1 {
		t.Errorf("%d log lines for the refused evil.example%s, want 1", n, p)
	}
}

func TestHostAllowed(t *testing.T) {
	names := []string{"vm1.cloud.example", "Other.Example:8443", "*.apps.example", " ", ""}
	tests := []struct {
		host string
		want bool
	}{
		{"", true},
		{"10.0.0.5", true},
		{"10.0.0.5:8001", true},
		{"[2001:db8::1]:8001", true},
		{"[2001:db8::1]", true},
		{"localhost", true},
		{"LOCALHOST:8001", true},
		{"vm1.cloud.example", true},
		{"vm1.cloud.example:80", true},
		{"vm1.cloud.example.:8001", true},
		{"other.example:8443", true},
		{"other.example:8001", false},
		{"a.b.apps.example", true},
		{"apps.example", false},
		{"evilapps.example", false},
		{"evil.example", false},
		{"localhost.evil.example", false},
		{"10.0.0.5.evil.example", false},
		{"vm1.cloud.example\x00", false},
		{"vm1..cloud.example", false},
		{"[vm1.cloud.example]", false},
		{":8001", false},
		{"vm1.cloud.example: ", false},
		{"vm1.cloud.example:", false},
		{"vm1.cloud.example:8o01", false},
		{"a b", false},
	}
	for _, tt := range tests {
		if got := HostAllowed(tt.host, names); got != tt.want {
			t.Errorf("HostAllowed(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func FuzzHostAllowed(f *testing.F) {
	for _, s := range []string{"vm1.cloud.example:8001", "[::1]:8001", "evil.example", "x.apps.example", "", "[", "a..b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		ok := HostAllowed(host, []string{"vm1.cloud.example", "*.apps.example"})
		// An allowed name never has characters a DNS name cannot.
		if ok && strings.ContainsAny(host, " /\\@?#\x00") {
			t.Fatalf("HostAllowed(%q) = true", host)
		}
	})
}

// fakeLogin prints a prompt and, once a user name and password have been
// typed, runs another program (cat), as /bin/login runs the user's shell.
var fakeLogin = []string{"/bin/sh", "-c", `printf 'login: '; read u; printf 'Password: '; read p; exec cat`}

// TestLockOut: one client holds every session at the login prompt and
// reconnects whatever closes; another client still gets a prompt, and
// keeps its session while the first goes on reconnecting.
func TestLockOut(t *testing.T) {
	const max = 4
	s := startServer(t, Config{MaxSessions: max, Command: fakeLogin})
	hostile := func() (*client, error) {
		c, _, err := dialAs(t, s, "127.0.0.2", "", "")
		return c, err
	}
	var mu sync.Mutex
	var held []*client
	for range max {
		c, err := hostile()
		if err != nil {
			t.Fatal(err)
		}
		c.waitFor("login: ", 5*time.Second)
		held = append(held, c)
	}
	// The hostile client reconnects whatever closes, as fast as it can.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	reconnects := 0
	for i := range max {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				c := held[i]
				mu.Unlock()
			wait:
				for {
					select {
					case <-ctx.Done():
						return
					case m, ok := <-c.msgs:
						if !ok || m.err != nil {
							break wait
						}
					}
				}
				n, err := hostile()
				if err != nil {
					continue
				}
				mu.Lock()
				held[i] = n
				reconnects++
				mu.Unlock()
			}
		}()
	}
	defer func() { cancel(); wg.Wait() }()

	start := time.Now()
	user, _, err := dialAs(t, s, "127.0.0.3", "", "")
	if err != nil {
		t.Fatal(err)
	}
	user.waitFor("login: ", 10*time.Second)
	t.Logf("the other client got its prompt after %v", time.Since(start))
	// It keeps its session while the hostile client goes on.
	for i := range 5 {
		line := "user" + itoa(uint16(i))
		user.input(line + "\n")
		user.waitFor(line, 5*time.Second)
		time.Sleep(100 * time.Millisecond) // a session lasting while the hostile client goes on: the scenario, not a wait
	}
	mu.Lock()
	t.Logf("hostile reconnects: %d", reconnects)
	mu.Unlock()
	if s.Sessions() > max {
		t.Fatalf("%d sessions, max %d", s.Sessions(), max)
	}
}

// TestLoggedInNotEvicted: sessions past the login prompt are never
// given up for a newcomer, who is told the terminals are busy.
func TestLoggedInNotEvicted(t *testing.T) {
	s := startServer(t, Config{MaxSessions: 2, Command: fakeLogin})
	for range 2 {
		c, _, err := dialAs(t, s, "127.0.0.2", "", "")
		if err != nil {
			t.Fatal(err)
		}
		c.waitFor("login: ", 5*time.Second)
		c.input("root\n")
		c.waitFor("Password: ", 5*time.Second)
		c.input("secret\n")
		c.input("in\n")
		c.waitFor("in\r\nin", 5*time.Second)
	}
	c, _, err := dialAs(t, s, "127.0.0.3", "", "")
	if err != nil {
		t.Fatal(err)
	}
	c.waitClosed(5 * time.Second)
	if len(c.notices) != 1 || c.notices[0].Kind != termproto.NoticeBusy {
		t.Fatalf("notices %+v, want busy", c.notices)
	}
}

func TestSlotsPolicy(t *testing.T) {
	past := func() bool { return true }
	prompt := func() bool { return false }
	end := func(error) {}
	tests := []struct {
		name    string
		held    []string // source, then "p" at the prompt or "l" logged in
		newcome string
		victim  int // index into held, -1: refused
	}{
		{"one source holds all", []string{"a p", "a p", "a p"}, "b", 0},
		{"only its own sessions", []string{"a p", "a p", "a p"}, "a", -1},
		{"even split", []string{"a p", "b p", "c p"}, "d", -1},
		{"logged in kept", []string{"a l", "a l", "a l"}, "b", -1},
		{"oldest at the prompt", []string{"a l", "a p", "a p"}, "b", 1},
		{"largest source first", []string{"b p", "a p", "a p", "a p", "b p"}, "c", 1},
		{"two more than the newcomer", []string{"a p", "a p", "b p"}, "b", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := newSlots(len(tt.held))
			var held []*slot
			for _, h := range tt.held {
				src, state, _ := strings.Cut(h, " ")
				sl, _ := tab.acquire(src)
				f := prompt
				if state == "l" {
					f = past
				}
				tab.attach(sl, end, f)
				held = append(held, sl)
			}
			got, evicted := tab.acquire(tt.newcome)
			if tt.victim < 0 {
				if got != nil {
					t.Fatal("admitted, want refused")
				}
				return
			}
			if got == nil {
				t.Fatal("refused, want admitted")
			}
			if evicted != held[tt.victim] {
				t.Fatalf("gave up %+v, want session %d (%s)", evicted, tt.victim, tt.held[tt.victim])
			}
			if _, ok := tab.all[held[tt.victim]]; ok {
				t.Fatalf("session %d (%s) kept, want it given up", tt.victim, tt.held[tt.victim])
			}
			if tab.len() != len(tt.held) {
				t.Fatalf("%d sessions, want %d", tab.len(), len(tt.held))
			}
		})
	}
}

// TestSourceBehindProxy: X-Real-IP counts only from a trusted peer.
func TestSourceBehindProxy(t *testing.T) {
	trusted, err := ParseTrusted([]string{"192.0.2.10", "198.51.100.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		remote, real, want string
	}{
		{"127.0.0.1:5000", "203.0.113.7", "203.0.113.7"},
		{"192.0.2.10:5000", "203.0.113.7", "203.0.113.7"},
		{"198.51.100.9:5000", "203.0.113.8", "203.0.113.8"},
		{"192.0.2.11:5000", "203.0.113.7", "192.0.2.11"},
		{"127.0.0.1:5000", "garbage", "127.0.0.1"},
		{"[2001:db8:1:2:3::4]:5000", "", "2001:db8:1:2::/64"},
		{"[::1]:5000", "2001:db8::9", "2001:db8::/64"},
	}
	for _, tt := range tests {
		r := &http.Request{RemoteAddr: tt.remote, Header: http.Header{}}
		if tt.real != "" {
			r.Header.Set("X-Real-IP", tt.real)
		}
		if got := source(r, trusted); got != tt.want {
			t.Errorf("source(%s, X-Real-IP %q) = %q, want %q", tt.remote, tt.real, got, tt.want)
		}
	}
	if _, err := ParseTrusted([]string{"front"}); err == nil {
		t.Error("ParseTrusted(front) succeeded")
	}
}

// TestLyingClientBounded: a client that acknowledges every byte the
// server has read from the shell but reads nothing itself must not make
// the server buffer the shell's output.
func TestLyingClientBounded(t *testing.T) {
	s := startServer(t, Config{Command: []string{"/bin/sh", "-c", "exec yes"}})
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+s.Addr().String()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var m runtime.MemStats
	var peak uint64
	var last int64
	stable := time.Now()
	// Poll until the server has read nothing for a second (the socket's
	// buffers are full and it waits for a real acknowledgement); on a busy
	// machine filling them takes a while, so the limit is generous.
	deadline := time.Now().Add(60 * time.Second)
	for time.Since(stable) < time.Second && time.Now().Before(deadline) {
		// The most an acknowledgement may say: everything read so far.
		out := s.Stats().OutputBytes.Load()
		if err := ws.WriteMessage(websocket.BinaryMessage, termproto.Ack(uint32(out)).AppendMarshal(nil)); err != nil {
			t.Fatalf("ack: %v", err)
		}
		if out != last {
			last, stable = out, time.Now()
		}
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapInuse)
		time.Sleep(2 * time.Millisecond) // sampling within a fixed observation window
	}
	growth := int64(peak) - int64(base.HeapInuse)
	t.Logf("lying client: server read %d bytes of output, heap in use %d -> peak %d (growth %d), reading stopped %v before the end",
		last, base.HeapInuse, peak, growth, time.Since(stable))
	if growth > 8<<20 {
		t.Fatalf("heap grew by %d bytes for a client that reads nothing, want < 8 MiB", growth)
	}
	if time.Since(stable) < time.Second {
		t.Fatalf("the server still reads the shell after 60 s (%d bytes read), want it stopped while the socket is blocked", last)
	}
}

// TestHugeSizeClamped: a 4K screen at 25 % zoom (15360x8640 CSS px,
// about 1960x508 cells) gets a working terminal of at most
// termproto.MaxDimension columns.
func TestHugeSizeClamped(t *testing.T) {
	s := startServer(t, Config{})
	c := mustDial(t, s)
	c.send(termproto.Resize(1960, 508))
	c.input("stty size | sed 's/^/SZ=/'\n")
	c.waitFor("SZ=508 1000", 5*time.Second)
	c.send(termproto.Resize(65535, 65535))
	c.input("stty size | sed 's/^/SZ=/'\n")
	c.waitFor("SZ=1000 1000", 5*time.Second)
	if len(c.notices) != 0 {
		t.Fatalf("notices %+v", c.notices)
	}
}

// TestPageNotFramable: another site cannot put the terminal page in a
// frame (clickjacking).
func TestPageNotFramable(t *testing.T) {
	s := startServer(t, Config{})
	resp, err := http.Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") {
		t.Errorf("Content-Security-Policy %q lacks frame-ancestors 'self'", csp)
	}
	if x := resp.Header.Get("X-Frame-Options"); x != "SAMEORIGIN" {
		t.Errorf("X-Frame-Options %q, want SAMEORIGIN", x)
	}
}

func FuzzSource(f *testing.F) {
	f.Add("127.0.0.1:5000", "203.0.113.7")
	f.Add("[::1]:5000", "2001:db8::9%eth0")
	f.Add("192.0.2.11:5000", "")
	f.Add("garbage", "[::ffff:10.0.0.1]")
	trusted, _ := ParseTrusted([]string{"192.0.2.0/24"})
	f.Fuzz(func(t *testing.T, remote, real string) {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Real-Ip": {real}}}
		src := source(r, trusted)
		// A forged X-Real-IP never counts from an untrusted peer.
		if p := parseIP(remote); p.IsValid() && !p.IsLoopback() && !inPrefixes(p, trusted) && p.Is4() && src != p.String() {
			t.Fatalf("source(%q, X-Real-IP %q) = %q, want the peer", remote, real, src)
		}
	})
}
