package webssh

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	"github.com/luoyun/osmanager/internal/browsertest"
	"github.com/luoyun/osmanager/internal/nginxtest"
)

// TestSlotsTypingSpared: a newcomer from a source takes the place of its
// own source's oldest session idle at the prompt for the typing window,
// never one with input (or a start) within it, nor one logged in.
func TestSlotsTypingSpared(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	// held: source, state ("p" prompt, "l" logged in), seconds since
	// start, seconds since the last input (-1: none).
	type held struct {
		src, state string
		age, typed int
	}
	tests := []struct {
		name    string
		held    []held
		newcome string
		victim  int // -1: refused
	}{
		{"idle own session taken", []held{{"a", "p", 40, -1}, {"a", "p", 50, -1}, {"a", "p", 45, -1}}, "a", 1},
		{"typing spared", []held{{"a", "p", 40, 5}, {"a", "p", 50, 29}, {"a", "p", 45, -1}}, "a", 2},
		{"fresh spared", []held{{"a", "p", 10, -1}, {"a", "p", 29, -1}}, "a", -1},
		{"all typing or logged in: busy", []held{{"a", "p", 40, 1}, {"a", "l", 50, -1}, {"a", "p", 90, 20}}, "a", -1},
		{"input long ago is idle", []held{{"a", "p", 59, 31}, {"a", "l", 50, -1}}, "a", 0},
		{"another source's typing spared", []held{{"a", "p", 40, 2}, {"a", "p", 50, 3}, {"a", "p", 45, 1}}, "b", -1},
		{"another source's idle first", []held{{"a", "p", 40, 2}, {"a", "p", 5, -1}, {"a", "p", 45, 1}}, "b", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			tab := newSlots(len(tt.held))
			tab.now = func() time.Time { return now }
			var slots []*slot
			for _, h := range tt.held {
				now = t0.Add(-time.Duration(h.age) * time.Second)
				sl, _ := tab.acquire(h.src)
				past := h.state == "l"
				tab.attach(sl, func(error) {}, func() bool { return past })
				if h.typed >= 0 {
					sl.input.Store(t0.Add(-time.Duration(h.typed) * time.Second).UnixNano())
				}
				slots = append(slots, sl)
			}
			now = t0
			got, evicted := tab.acquire(tt.newcome)
			switch {
			case tt.victim < 0 && got != nil:
				t.Fatalf("admitted in place of %+v, want refused", evicted)
			case tt.victim >= 0 && evicted != slots[tt.victim]:
				t.Fatalf("gave up %+v, want session %d %+v", evicted, tt.victim, tt.held[tt.victim])
			}
		})
	}
}

// TestPromptTimeout: a session still at the login prompt PromptTimeout
// after its start ends with a notice; one that logged in stays.
func TestPromptTimeout(t *testing.T) {
	s := startServer(t, Config{Command: fakeLogin, PromptTimeout: 2 * time.Second})
	idle, _, err := dialAs(t, s, "127.0.0.2", "", "")
	if err != nil {
		t.Fatal(err)
	}
	in, _, err := dialAs(t, s, "127.0.0.2", "", "")
	if err != nil {
		t.Fatal(err)
	}
	idle.waitFor("login: ", 5*time.Second)
	in.waitFor("login: ", 5*time.Second)
	in.input("alice\n")
	in.waitFor("Password: ", 5*time.Second)
	in.input("secret\n")
	idle.waitClosed(20 * time.Second)
	if len(idle.notices) != 1 || !strings.Contains(idle.notices[0].Text, "login timed out") {
		t.Fatalf("notices %+v, want login timed out", idle.notices)
	}
	in.input("still here\n")
	in.waitFor("still here\r\nstill here", 5*time.Second)
}

// hogLogin is fakeLogin that says who logged in.
var hogLogin = []string{"/bin/sh", "-c", `printf 'login: '; read u; printf 'Password: '; read p; echo "Welcome, $u"; exec cat`}

// startHog holds n sessions at the prompt from address from and opens a
// new one whenever one closes (50 ms later), until the test ends.
func startHog(t *testing.T, s *Server, from string, n int) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	d := *websocket.DefaultDialer
	d.NetDialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if c, _, err := d.DialContext(ctx, "ws://"+s.Addr().String()+"/ws", nil); err == nil {
					stop := context.AfterFunc(ctx, func() { c.Close() })
					for {
						if _, _, err := c.ReadMessage(); err != nil {
							break
						}
					}
					stop()
					c.Close()
				}
				select {
				case <-ctx.Done():
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
	}
}

// TestTypingBrowserAmongHog: a client holds every session at the prompt
// from the browser's own address and reconnects whatever closes; the
// browser, directly and through the proxy (which passes the browser's
// address as X-Real-IP: the same source), gets a prompt in place of an
// idle session of the hog, reaches the password prompt and logs in.
func TestTypingBrowserAmongHog(t *testing.T) {
	const window = 10 * time.Second
	for _, via := range []string{"direct", "nginx"} {
		t.Run(via, func(t *testing.T) {
			ctx := browsertest.New(t, 3*time.Minute)
			s := startServer(t, Config{Command: hogLogin, MaxSessions: 8, TypingWindow: window, PromptTimeout: time.Minute})
			url := s.URL()
			if via == "nginx" {
				url = nginxtest.Start(t, s.Addr().String()).URL
			}
			start := time.Now()
			startHog(t, s, "127.0.0.1", 8)
			if !pollUntil(20*time.Second, func() bool { return s.Sessions() == 8 }) {
				t.Fatalf("hog holds %d sessions, want 8", s.Sessions())
			}
			// Until its sessions have been idle for the window, the hog's
			// are as fresh as anyone's: a newcomer would be told busy.
			pollUntil(window+5*time.Second, func() bool { return time.Since(start) > window+time.Second })
			openPage(ctx, t, url, "login:")
			if err := chromedp.Run(ctx, typeKeys("alice\r")); err != nil {
				t.Fatal(err)
			}
			waitJS(ctx, t, "the password prompt", rowsHave("has", "Password:"))
			if err := chromedp.Run(ctx, typeKeys("secret\r")); err != nil {
				t.Fatal(err)
			}
			waitJS(ctx, t, "logged in", rowsHave("has", "Welcome, alice"))
			// Logged in, it stays while the hog goes on reconnecting.
			if err := chromedp.Run(ctx, typeKeys("after login\r")); err != nil {
				t.Fatal(err)
			}
			waitJS(ctx, t, "the echo after login", rowsHave("has", "after login"))
			if s.Sessions() > 8 {
				t.Fatalf("%d sessions, max 8", s.Sessions())
			}
		})
	}
}
