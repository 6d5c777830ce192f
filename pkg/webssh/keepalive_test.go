package webssh

import (
	"bufio"
	"net/http"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/pkg/clock"
	"github.com/luoyun/osmanager/pkg/termproto"
)

// TestStreamKeepAliveOnTheClock: an idle stream gets an empty frame each
// keepAliveEvery of the server's clock.
func TestStreamKeepAliveOnTheClock(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	s := startServer(t, Config{Command: []string{"/bin/sh", "-c", "stty -echo; exec sleep 600"}, Clock: f})
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"stream", nil)
	req.Header.Set("Origin", "http://"+s.Addr().String())
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	frames := make(chan byte, 16)
	go func() {
		r := bufio.NewReader(resp.Body)
		for {
			kind, _, err := termproto.ReadFrame(r)
			if err != nil {
				close(frames)
				return
			}
			frames <- kind
		}
	}()
	for n := 1; n <= 2; n++ {
		poll.Until(t, poll.Timeout, "the keep-alive ticker", func() bool { return f.Waiters() == 1 })
		f.Advance(keepAliveEvery)
		deadline := time.After(poll.Timeout)
	read:
		for {
			select {
			case kind, ok := <-frames:
				if !ok {
					t.Fatal("the stream ended")
				}
				if kind == termproto.FrameKeepAlive {
					break read
				}
			case <-deadline:
				t.Fatalf("no keep-alive frame %d after the clock passed %v", n, keepAliveEvery)
			}
		}
	}
}
