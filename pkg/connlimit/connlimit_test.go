package connlimit

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// serve accepts on l until it is closed, keeping the connections open;
// each accepted one is sent on the channel.
func serve(t *testing.T, l net.Listener) <-chan net.Conn {
	ch := make(chan net.Conn, 100)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			ch <- c
		}
	}()
	return ch
}

func dialFrom(t *testing.T, local, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// refused reports whether c was closed by the server, after its refusal.
func refused(t *testing.T, c net.Conn) (bool, string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	b, err := io.ReadAll(c)
	if err != nil && strings.Contains(err.Error(), "timeout") {
		return false, string(b)
	}
	return true, string(b)
}

// TestCaps: the per-source cap refuses a source's extra connection with
// the refusal text and lets others in; the total cap refuses everyone;
// a closed connection gives its place back.
func TestCaps(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := New(ln, Config{Total: 3, PerSource: 2, Refusal: HTTPRefusal("busy")})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := serve(t, l)
	addr := ln.Addr().String()
	a1, a2 := dialFrom(t, "127.0.0.2", addr), dialFrom(t, "127.0.0.2", addr)
	s1, s2 := <-accepted, <-accepted
	a3 := dialFrom(t, "127.0.0.2", addr)
	if ok, text := refused(t, a3); !ok || !strings.HasPrefix(text, "HTTP/1.1 503 ") || !strings.HasSuffix(text, "\r\n\r\nbusy\n") {
		t.Errorf("third connection from one source: refused %v, %q; want the 503", ok, text)
	}
	b1 := dialFrom(t, "127.0.0.3", addr)
	<-accepted
	if ok, _ := refused(t, b1); ok {
		t.Error("another source refused under the total cap")
	}
	if ok, _ := refused(t, dialFrom(t, "127.0.0.4", addr)); !ok {
		t.Error("a connection over the total cap accepted")
	}
	if n := l.Open(); n != 3 {
		t.Errorf("Open() = %d, want 3", n)
	}
	s1.Close()
	s1.Close() // released once
	dialFrom(t, "127.0.0.2", addr)
	<-accepted
	if ok, _ := refused(t, a1); !ok {
		t.Error("closed connection still open")
	}
	_, _ = a2, s2
	if n := l.Open(); n != 3 {
		t.Errorf("Open() = %d after a close and a new one, want 3", n)
	}
}

func TestSource(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.1:80":            "10.0.0.1",
		"[::ffff:10.0.0.1]:80":   "10.0.0.1",
		"[2001:db8:1:2:3::4]:80": "2001:db8:1:2::/64",
		"[fe80::1%eth0]:80":      "fe80::/64",
	} {
		a, _ := net.ResolveTCPAddr("tcp", in)
		if got := Source(a); got != want {
			t.Errorf("Source(%s) = %q, want %q", in, got, want)
		}
	}
}
