package webpage

import (
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestSlowClients: 200 connections that send their headers one byte per
// second do not delay a normal request, and are cut off after the
// read-header timeout.
func TestSlowClients(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the slow-client test in -short mode")
	}
	const (
		slow          = 200
		headerTimeout = 3 * time.Second
	)
	f := newFixture(t)
	cfg := f.config(nil)
	cfg.ReadHeaderTimeout = headerTimeout
	cfg.ReadTimeout = headerTimeout
	_, addr := start(t, cfg, nil)

	conns := make([]net.Conn, 0, slow)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	const request = "GET / HTTP/1.1\r\nHost: test\r\nUser-Agent: slowloris\r\nX-Pad: aaaaaaaaaaaaaaaaaaaa\r\n\r\n"
	// The slow clients come from addresses of their own (127.0.0.2 to
	// .5, 50 each): the per-source cap would refuse most of them from one.
	for i := range slow {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%4))}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial slow client %d: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	began := time.Now()
	// Drip one byte per second on every slow connection until the test
	// ends; a write error means the server has hung up.
	stop := make(chan struct{})
	var drip sync.WaitGroup
	drip.Add(1)
	go func() {
		defer drip.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for i := 0; i < len(request); i++ {
			for _, c := range conns {
				_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
				_, _ = c.Write([]byte{request[i]})
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	defer func() { close(stop); drip.Wait() }()

	// Normal requests, on new connections, while the slow ones hang on.
	client := &http.Client{Timeout: headerTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range 3 {
		t1 := time.Now()
		resp, err := client.Get("http://" + addr + "/")
		if err != nil {
			t.Fatalf("normal request %d with %d slow clients: %v", i, slow, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(t1)
		t.Logf("normal request %d answered in %s with %d slow clients", i, took.Round(time.Microsecond), slow)
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("normal request %d: %d, %d bytes", i, resp.StatusCode, len(body))
		}
		if took > headerTimeout/3 {
			t.Errorf("normal request %d took %s with %d slow clients, want well under the %s header timeout", i, took, slow, headerTimeout)
		}
	}

	// Every slow connection is closed by the server once the header
	// timeout has passed (a read returns, EOF or an error response).
	deadline := began.Add(headerTimeout + 3*time.Second)
	var closed sync.WaitGroup
	var mu sync.Mutex
	open := 0
	for _, c := range conns {
		closed.Add(1)
		go func(c net.Conn) {
			defer closed.Done()
			_ = c.SetReadDeadline(deadline)
			_, err := io.Copy(io.Discard, c)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				mu.Lock()
				open++
				mu.Unlock()
			}
		}(c)
	}
	closed.Wait()
	if open > 0 {
		t.Errorf("%d of %d slow connections still open %s after they began (header timeout %s)", open, slow, time.Since(began).Round(time.Millisecond), headerTimeout)
	}
	if elapsed := time.Since(began); elapsed < headerTimeout-500*time.Millisecond {
		t.Errorf("slow connections closed after %s, before the %s header timeout: were they refused outright?", elapsed, headerTimeout)
	}
}
