package webpage

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConnectionCaps: held request bodies from one address take at most
// MaxConnsPerSource connections; the rest are answered 503 and closed at
// once, and a visitor from another address is served meanwhile.
func TestConnectionCaps(t *testing.T) {
	f := newFixture(t)
	cfg := f.config(newClock(t0))
	_, addr := start(t, cfg, nil)
	const n = 300
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	for range n {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		_, _ = fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n")
	}
	var refused atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(2 * time.Second)
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(deadline)
			line, err := bufio.NewReader(c).ReadString('\n')
			if strings.HasPrefix(line, "HTTP/1.1 503 ") || err != nil && !isTimeout(err) {
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	if want := int64(n - cfg.MaxConnsPerSource); refused.Load() < want {
		t.Errorf("%d of %d held connections from one address refused, want at least %d", refused.Load(), n, want)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("visitor from another address: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) == 0 {
		t.Errorf("visitor from another address: %s, %d bytes", resp.Status, len(body))
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
