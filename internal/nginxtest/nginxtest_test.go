package nginxtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestProxyLikeTheCloud checks what the front end's template does to a
// request: HTTP/1.0 to the instance, Host kept, X-Real-IP set, no
// websocket upgrade forwarded.
func TestProxyLikeTheCloud(t *testing.T) {
	got := make(chan *http.Request, 1)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r
		io.WriteString(w, "hi")
	}))
	defer backend.Close()
	p := Start(t, strings.TrimPrefix(backend.URL, "http://"))
	req, _ := http.NewRequest(http.MethodGet, p.URL+"ws", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hi" {
		t.Fatalf("body %q through the proxy, want hi", body)
	}
	r := <-got
	host := strings.TrimPrefix(strings.TrimSuffix(p.URL, "/"), "http://")
	if r.Proto != "HTTP/1.0" || r.Host != host || r.Header.Get("X-Real-IP") != "127.0.0.1" || r.Header.Get("Upgrade") != "" {
		t.Fatalf("backend saw %s, Host %q, X-Real-IP %q, Upgrade %q; want HTTP/1.0, %q, 127.0.0.1, none",
			r.Proto, r.Host, r.Header.Get("X-Real-IP"), r.Header.Get("Upgrade"), host)
	}
}
