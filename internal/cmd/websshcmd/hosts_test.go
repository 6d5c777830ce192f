package websshcmd

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/luoyun/osmanager/internal/poll"
)

// TestRunHostNames: the JSON domain name and settings webssh.allowed_hosts
// open sessions; another name (DNS rebinding) is refused.
func TestRunHostNames(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	set := writeFile(t, dir, "s.toml", "[webssh]\ncommand = [\"/bin/cat\"]\nallowed_hosts = [\"term.example\"]\n")
	conf := writeFile(t, dir, "luoyun.conf", "JSON={\"webssh\": {\"port\": "+strconv.Itoa(port)+"}, \"domain\": {\"name\": \"vm7.cloud.example\"}}\n")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--settings", set, "-c", conf, "--listen-addr", "127.0.0.1", "-l", filepath.Join(dir, "webssh.log")}, io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("run: %v", err)
		}
	}()
	url := "ws://127.0.0.1:" + strconv.Itoa(port) + "/ws"
	p := ":" + strconv.Itoa(port)
	tests := []struct {
		host string
		want int
	}{
		{"vm7.cloud.example" + p, http.StatusSwitchingProtocols},
		{"term.example" + p, http.StatusSwitchingProtocols},
		{"127.0.0.1" + p, http.StatusSwitchingProtocols},
		{"evil.example" + p, http.StatusForbidden},
	}
	for _, tt := range tests {
		h := http.Header{"Host": {tt.host}, "Origin": {"http://" + tt.host}}
		var resp *http.Response
		var err error
		if !poll.Wait(poll.Timeout, func() bool {
			var c *websocket.Conn
			c, resp, err = websocket.DefaultDialer.Dial(url, h)
			if c != nil {
				c.Close()
			}
			return resp != nil
		}) {
			t.Fatalf("Host %s: %v", tt.host, err)
		}
		if resp.StatusCode != tt.want {
			t.Errorf("Host %s: status %d, want %d", tt.host, resp.StatusCode, tt.want)
		}
	}
}
