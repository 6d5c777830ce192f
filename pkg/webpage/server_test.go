package webpage

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/osmstate"
)

var t0 = time.Date(2026, 11, 21, 9, 5, 30, 0, time.UTC)

func TestRouting(t *testing.T) {
	f := newFixture(t)
	_, addr := start(t, f.config(newClock(t0)), nil)
	const withPage = "WITH host=app.example.com app=ownCloud v1=2.5 v2=4.0.7 t=09:05 ssh=http://app.example.com:8022/ $unknown\n"
	const noPage = "NO host=app.example.com app=ownCloud v1=2.5 v2=4.0.7 t=09:05 ${unknown}\n"
	tests := []struct {
		method, target string
		status         int
		body           string // exact when set
		location       string
	}{
		{"GET", "/", 200, noPage, ""},
		{"GET", "/index.html", 200, noPage, ""},
		{"GET", "/?cookie=" + testCookie, 200, withPage, ""},
		{"GET", "/index.html?cookie=" + testCookie, 200, withPage, ""},
		{"GET", "/?lang=zh&cookie=" + testCookie + "&x=1", 200, withPage, ""},
		{"GET", "/?cookie=s3cret%2Dcookie", 200, withPage, ""},
		{"GET", "/?cookie=" + testCookie + "x", 200, noPage, ""},
		{"GET", "/?cookie=" + strings.ToUpper(testCookie), 200, noPage, ""},
		{"GET", "/?cookie=s3cret", 200, noPage, ""},
		{"GET", "/?cookie=", 200, noPage, ""},
		{"GET", "/?cookie", 200, noPage, ""},
		{"GET", "/?Cookie=" + testCookie, 200, noPage, ""},
		{"GET", "/?xcookie=" + testCookie, 200, noPage, ""},
		{"GET", "/?cookie=wrong&cookie=" + testCookie, 200, noPage, ""},
		{"GET", "/?cookie=%zz", 200, noPage, ""},
		{"GET", "//", 200, noPage, ""},
		{"GET", "/only-with.txt?cookie=" + testCookie, 200, "WITH-ONLY\n", ""},
		{"GET", "/only-with.txt", 404, "404 not found\n", ""},
		{"GET", "/withcookie/index.html", 404, "404 not found\n", ""},
		{"GET", "/nocookie/index.html", 404, "404 not found\n", ""},
		{"GET", "/sub/", 200, "SUB ownCloud\n", ""},
		{"GET", "/sub/index.html", 200, "SUB ownCloud\n", ""},
		{"GET", "/sub/page.htm", 200, "HTM 2.5\n", ""},
		{"GET", "/sub", 301, "", "/sub/"},
		{"GET", "/sub?cookie=" + testCookie, 404, "404 not found\n", ""}, // no sub/ in withcookie
		{"GET", "/sub?a=1", 301, "", "/sub/?a=1"},
		{"GET", "/emptydir/", 404, "404 not found\n", ""},
		{"GET", "/emptydir", 404, "404 not found\n", ""},
		{"GET", "/img/", 404, "404 not found\n", ""},
		{"GET", "/missing.html", 404, "404 not found\n", ""},
		{"GET", "/link-inside.html", 200, noPage, ""},
		{"GET", "/style.css", 200, "body{color:red} /* app.example.com */\n", ""},
		{"GET", "/app.js", 200, "var x = 'app.example.com';\n", ""},
		{"POST", "/", 405, "405 method not allowed\n", ""},
		{"PUT", "/index.html", 405, "405 method not allowed\n", ""},
		{"HEAD", "/", 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			r := raw(t, addr, tt.method, tt.target)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d (body %q)", r.status, tt.status, r.body)
			}
			if tt.body != "" && r.body != tt.body {
				t.Errorf("body = %q, want %q", r.body, tt.body)
			}
			if tt.method == "HEAD" && r.body != "" {
				t.Errorf("HEAD body = %q", r.body)
			}
			if got := r.header.Get("Location"); got != tt.location {
				t.Errorf("Location = %q, want %q", got, tt.location)
			}
			if r.status == 404 && r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
				t.Errorf("404 Content-Type = %q", r.header.Get("Content-Type"))
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	f := newFixture(t)
	_, addr := start(t, f.config(newClock(t0)), nil)
	tests := []struct {
		target, ctype, cache, referrer string
	}{
		{"/", "text/html; charset=utf-8", "no-store", "no-referrer"},
		{"/?cookie=" + testCookie, "text/html; charset=utf-8", "no-store", "no-referrer"},
		{"/sub/page.htm", "text/html; charset=utf-8", "no-store", "no-referrer"},
		{"/style.css", "text/css; charset=utf-8", "no-store", "no-referrer"},
		{"/app.js", "text/javascript; charset=utf-8", "no-store", "no-referrer"},
		{"/favicon.ico", "image/x-icon", "", ""},
		{"/img/logo.png", "image/png", "", ""},
		{"/data.bin", "application/octet-stream", "", ""},
	}
	for _, tt := range tests {
		r := get(t, addr, tt.target)
		h := r.header
		if r.status != 200 || h.Get("Content-Type") != tt.ctype || h.Get("Cache-Control") != tt.cache || h.Get("Referrer-Policy") != tt.referrer {
			t.Errorf("GET %s: %d type %q cache %q referrer %q; want 200 %q %q %q", tt.target, r.status,
				h.Get("Content-Type"), h.Get("Cache-Control"), h.Get("Referrer-Policy"), tt.ctype, tt.cache, tt.referrer)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", tt.target)
		}
		if h.Get("Content-Security-Policy") != "frame-ancestors 'self'" || h.Get("X-Frame-Options") != "SAMEORIGIN" {
			t.Errorf("GET %s: CSP %q, X-Frame-Options %q; want another site unable to frame it", tt.target,
				h.Get("Content-Security-Policy"), h.Get("X-Frame-Options"))
		}
		if cl := h.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(r.body)) {
			t.Errorf("GET %s: Content-Length %s for %d bytes", tt.target, cl, len(r.body))
		}
	}
}

func TestBinaryByteExact(t *testing.T) {
	f := newFixture(t)
	shipped, err := os.ReadFile(filepath.Join("..", "..", "custom", "www", "nocookie", "favicon.ico"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(f.root, NoCookie, "shipped.ico"), string(shipped))
	big := make([]byte, 300<<10)
	for i := range big {
		big[i] = byte(i*7 + i>>8)
	}
	copy(big[1000:], "$hostname ${curtime}")
	writeFile(t, filepath.Join(f.root, NoCookie, "big.jpg"), string(big))
	cfg := f.config(newClock(t0))
	cfg.MaxCachedFile = 64 << 10 // big.jpg is streamed, the others cached
	_, addr := start(t, cfg, nil)
	tests := []struct {
		target, want, ctype string
	}{
		{"/favicon.ico", binaryBlob, "image/x-icon"},
		{"/favicon.ico?cookie=" + testCookie, binaryBlob, "image/x-icon"},
		{"/shipped.ico", string(shipped), "image/x-icon"},
		{"/img/logo.png", binaryBlob + "png", "image/png"},
		{"/data.bin", "\x00\x01$hostname", "application/octet-stream"},
		{"/big.jpg", string(big), "image/jpeg"},
	}
	for _, tt := range tests {
		for round := range 2 { // from disk, then from the cache
			r := get(t, addr, tt.target)
			if r.status != 200 || r.body != tt.want || r.header.Get("Content-Type") != tt.ctype {
				t.Errorf("GET %s (round %d): %d, %d bytes, type %q; want 200, %d bytes byte-exact, %q",
					tt.target, round, r.status, len(r.body), r.header.Get("Content-Type"), len(tt.want), tt.ctype)
			}
		}
	}
	r := raw(t, addr, "GET", "/big.jpg", "Range: bytes=1000-1019")
	if r.status != http.StatusPartialContent || r.body != "$hostname ${curtime}" {
		t.Errorf("range of streamed file: %d %q", r.status, r.body)
	}
	r = raw(t, addr, "GET", "/img/logo.png", "Range: bytes=0-3")
	if r.status != http.StatusPartialContent || r.body != binaryBlob[:4] {
		t.Errorf("range of cached file: %d %q", r.status, r.body)
	}
}

func TestEmptyCookieNeverUnlocks(t *testing.T) {
	tests := []struct {
		name, conf string
	}{
		{"empty cookie", `JSON={"cookie": ""}`},
		{"no cookie key", `JSON={"domain": {"name": "x"}}`},
		{"no JSON", "TAG=1"},
		{"bad JSON", `JSON={"cookie": 5}`},
		{"missing file", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.conf == "" {
				os.Remove(f.conf)
			} else {
				writeFile(t, f.conf, tt.conf+"\n")
			}
			_, addr := start(t, f.config(newClock(t0)), nil)
			for _, q := range []string{"/?cookie=", "/?cookie", "/?cookie=%00", "/?cookie=+", "/?cookie=undefined", "/?cookie=5", "/only-with.txt?cookie="} {
				r := get(t, addr, q)
				if strings.Contains(r.body, "WITH") {
					t.Errorf("GET %s unlocked withcookie: %d %q", q, r.status, r.body)
				}
			}
		})
	}
}

func TestVersionVariants(t *testing.T) {
	tests := []struct {
		name    string
		version *string // nil: no file
		want    string
	}{
		{"missing", nil, "app=unknown v1=unknown v2=unknown"},
		{"empty", ptr(""), "app=unknown v1=unknown v2=unknown"},
		{"one line", ptr("LuoYun 3.1\n"), "app=unknown v1=3.1 v2=unknown"},
		{"one word", ptr("LuoYun"), "app=unknown v1=unknown v2=unknown"},
		{"extra spaces", ptr("  LuoYun   3.1  \n   wiki  :   9.9   \n"), "app=wiki v1=3.1 v2=9.9"},
		{"CRLF", ptr("LuoYun 3.1\r\nwiki: 9.9\r\n"), "app=wiki v1=3.1 v2=9.9"},
		{"no colon", ptr("LuoYun 3.1\nwiki 9.9\n"), "app=wiki v1=3.1 v2=9.9"},
		{"html in it", ptr("LuoYun <b>\nx<y: 1&2\n"), "app=x&lt;y v1=&lt;b&gt; v2=1&amp;2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			p := filepath.Join(f.build, "VERSION")
			if tt.version == nil {
				os.Remove(p)
			} else {
				writeFile(t, p, *tt.version)
			}
			_, addr := start(t, f.config(newClock(t0)), nil)
			r := get(t, addr, "/")
			mustContain(t, "page", r.body, tt.want)
		})
	}
}

func ptr(s string) *string { return &s }

func TestTemplateVariables(t *testing.T) {
	f := newFixture(t)
	writeFile(t, filepath.Join(f.root, NoCookie, "vars.html"),
		"$hostname|$application|$version1|$version2|$curtime|$appurl|$websshport|$websshurl|$osmstatus|$osmsince|${hostname}|$$hostname|$nope|${nope}|$cookie")
	tests := []struct {
		name, conf string
		state      *osmstate.State
		want       string
	}{
		{"domain and port", `JSON={"cookie":"c","domain":{"name":"app.example.com"},"webssh":{"port":8022}}`, nil,
			"app.example.com|ownCloud|2.5|4.0.7|09:05|http://app.example.com/|8022|http://app.example.com:8022/|unknown|unknown|app.example.com|$hostname|$nope|${nope}|$cookie"},
		{"no domain: first IPv4, default port", `JSON={"webssh":{"status":"enable"}}`, nil,
			"192.0.2.10|ownCloud|2.5|4.0.7|09:05|http://192.0.2.10/|8001|http://192.0.2.10:8001/|unknown|unknown|192.0.2.10|$hostname|$nope|${nope}|$cookie"},
		{"port as string", `JSON={"domain":{"name":"h"},"webssh":{"port":"2222"}}`, nil,
			"h|ownCloud|2.5|4.0.7|09:05|http://h/|2222|http://h:2222/|unknown|unknown|h|$hostname|$nope|${nope}|$cookie"},
		{"port out of range", `JSON={"domain":{"name":"h"},"webssh":{"port":70000}}`, nil,
			"h|ownCloud|2.5|4.0.7|09:05|http://h/|8001|http://h:8001/|unknown|unknown|h|$hostname|$nope|${nope}|$cookie"},
		{"IPv6 domain", `JSON={"domain":{"name":"2001:db8::1"}}`, nil,
			"2001:db8::1|ownCloud|2.5|4.0.7|09:05|http://[2001:db8::1]/|8001|http://[2001:db8::1]:8001/|unknown|unknown|2001:db8::1|$hostname|$nope|${nope}|$cookie"},
		{"hostile domain escaped", `JSON={"domain":{"name":"<script>\"x\""}}`, nil,
			"&lt;script&gt;&#34;x&#34;|ownCloud|2.5|4.0.7|09:05|http://&lt;script&gt;&#34;x&#34;/|8001|http://&lt;script&gt;&#34;x&#34;:8001/|unknown|unknown|&lt;script&gt;&#34;x&#34;|$hostname|$nope|${nope}|$cookie"},
		{"registered", `JSON={"domain":{"name":"h"}}`, &osmstate.State{Phase: osmstate.Registered, Since: time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC), PID: fixtureOSMPid},
			"h|ownCloud|2.5|4.0.7|09:05|http://h/|8001|http://h:8001/|registered|2026-11-21 08:00|h|$hostname|$nope|${nope}|$cookie"},
		{"backing off", `JSON={"domain":{"name":"h"}}`, &osmstate.State{Phase: osmstate.BackingOff, PID: fixtureOSMPid},
			"h|ownCloud|2.5|4.0.7|09:05|http://h/|8001|http://h:8001/|backing off|unknown|h|$hostname|$nope|${nope}|$cookie"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeFile(t, f.conf, tt.conf+"\n")
			os.Remove(f.state)
			if tt.state != nil {
				if err := osmstate.Write(f.state, *tt.state); err != nil {
					t.Fatal(err)
				}
			}
			_, addr := start(t, f.config(newClock(t0)), nil)
			if r := get(t, addr, "/vars.html"); r.body != tt.want {
				t.Errorf("page = %q\nwant   %q", r.body, tt.want)
			}
		})
	}
}

func TestCorruptStateFile(t *testing.T) {
	f := newFixture(t)
	writeFile(t, f.state, "{not json")
	writeFile(t, filepath.Join(f.root, NoCookie, "s.html"), "[$osmstatus|$osmsince]")
	_, addr := start(t, f.config(newClock(t0)), nil)
	if r := get(t, addr, "/s.html"); r.status != 200 || r.body != "[unknown|unknown]" {
		t.Errorf("corrupt state: %d %q", r.status, r.body)
	}
}

// TestReload: a changed page, VERSION or config is served once looked at
// again; within CheckEvery the cached copy is used without touching disk.
func TestReload(t *testing.T) {
	f := newFixture(t)
	c := newClock(t0)
	cfg := f.config(c)
	cfg.CheckEvery = 10 * time.Second
	_, addr := start(t, cfg, nil)
	page := filepath.Join(f.root, NoCookie, "p.html")
	writeFile(t, page, "one $version1")
	if r := get(t, addr, "/p.html"); r.body != "one 2.5" {
		t.Fatalf("first: %q", r.body)
	}
	writeFile(t, page, "two, longer $version1")
	writeFile(t, filepath.Join(f.build, "VERSION"), "LuoYun 2.6\n")
	c.set(t0.Add(5 * time.Second)) // same minute, within CheckEvery
	if r := get(t, addr, "/p.html"); r.body != "one 2.5" {
		t.Errorf("within CheckEvery: %q, want the cached page", r.body)
	}
	c.set(t0.Add(11 * time.Second))
	if r := get(t, addr, "/p.html"); r.body != "two, longer 2.6" {
		t.Errorf("after CheckEvery: %q, want the new page", r.body)
	}
	os.Remove(page)
	c.set(t0.Add(22 * time.Second))
	if r := get(t, addr, "/p.html"); r.status != 404 {
		t.Errorf("removed page: %d %q", r.status, r.body)
	}
	// A new cookie in the config unlocks once read.
	writeFile(t, f.conf, `JSON={"cookie":"new-cookie"}`+"\n")
	c.set(t0.Add(33 * time.Second))
	if r := get(t, addr, "/only-with.txt?cookie=new-cookie"); r.status != 200 {
		t.Errorf("new cookie: %d", r.status)
	}
	if r := get(t, addr, "/only-with.txt?cookie="+testCookie); r.status != 404 {
		t.Errorf("old cookie still works: %d", r.status)
	}
	// Same size, same second: a replaced file (new inode) is still seen.
	writeFile(t, page, "AAAA")
	c.set(t0.Add(44 * time.Second))
	get(t, addr, "/p.html")
	tmp := page + ".new"
	writeFile(t, tmp, "BBBB")
	st, _ := os.Stat(page)
	_ = os.Chtimes(tmp, st.ModTime(), st.ModTime())
	if err := os.Rename(tmp, page); err != nil {
		t.Fatal(err)
	}
	c.set(t0.Add(55 * time.Second))
	if r := get(t, addr, "/p.html"); r.body != "BBBB" {
		t.Errorf("replaced file: %q", r.body)
	}
}

func TestCurtimePerMinute(t *testing.T) {
	f := newFixture(t)
	c := newClock(t0)
	cfg := f.config(c)
	cfg.CheckEvery = time.Hour
	_, addr := start(t, cfg, nil)
	tests := []struct {
		at   time.Time
		want string
	}{
		{t0, "t=09:05"},
		{t0.Add(29 * time.Second), "t=09:05"},
		{t0.Add(30 * time.Second), "t=09:06"},
		{t0.Add(61 * time.Minute), "t=10:06"},
		{t0.Add(15 * time.Hour), "t=00:05"},
	}
	for _, tt := range tests {
		c.set(tt.at)
		r := get(t, addr, "/")
		mustContain(t, tt.at.String(), r.body, tt.want)
	}
}

func TestAccessLog(t *testing.T) {
	f := newFixture(t)
	core, logs := observer.New(zapcore.DebugLevel)
	_, addr := start(t, f.config(newClock(t0)), logging.FromCore(core))
	get(t, addr, "/?cookie="+testCookie)
	get(t, addr, "/nothing?cookie=wrong")
	var lines []observer.LoggedEntry
	poll.Wait(poll.Timeout, func() bool {
		lines = logs.FilterMessage("request").All()
		return len(lines) >= 2
	})
	if len(lines) != 2 {
		t.Fatalf("%d access lines, want 2", len(lines))
	}
	want := []struct {
		path, pages string
		status      int64
	}{{"/", WithCookie, 200}, {"/nothing", NoCookie, 404}}
	for i, l := range lines {
		m := l.ContextMap()
		if m["path"] != want[i].path || m["pages"] != want[i].pages || m["status"] != want[i].status || m["method"] != "GET" {
			t.Errorf("line %d = %v, want %+v", i, m, want[i])
		}
		if !strings.HasPrefix(m["remote"].(string), "127.0.0.1:") {
			t.Errorf("line %d remote = %v", i, m["remote"])
		}
	}
	for _, l := range logs.All() {
		for k, v := range l.ContextMap() {
			if s, ok := v.(string); ok && (strings.Contains(s, testCookie) || strings.Contains(s, "wrong")) {
				t.Errorf("log %q field %s holds the query: %q", l.Message, k, s)
			}
		}
	}
}

// TestHeaderLimit: a request's line and headers may take 8 KiB, as
// docs/web.md says, and not a byte more (net/http's 4 KiB read-ahead
// included).
func TestHeaderLimit(t *testing.T) {
	f := newFixture(t)
	cfg := f.config(newClock(t0))
	if cfg.MaxHeaderBytes != 8<<10 {
		t.Fatalf("default header limit %d, docs/web.md says 8 KiB", cfg.MaxHeaderBytes)
	}
	_, addr := start(t, cfg, nil)
	// raw sends "GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" + pad + "\r\n\r\n".
	fixed := len("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n") + len("X-Pad: ") + len("\r\n\r\n")
	for _, tt := range []struct {
		size, status int
	}{
		{8 << 10, http.StatusOK},
		{8<<10 + 1, http.StatusRequestHeaderFieldsTooLarge},
		{10 << 10, http.StatusRequestHeaderFieldsTooLarge},
		{64 << 10, http.StatusRequestHeaderFieldsTooLarge},
	} {
		r := raw(t, addr, "GET", "/", "X-Pad: "+strings.Repeat("a", tt.size-fixed))
		if r.status != tt.status {
			t.Errorf("%d bytes of request head: %d, want %d", tt.size, r.status, tt.status)
		}
	}
	if r := get(t, addr, "/"); r.status != 200 {
		t.Errorf("normal request after: %d", r.status)
	}
}

func TestShutdown(t *testing.T) {
	f := newFixture(t)
	s, err := New(f.config(newClock(t0)), logging.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(context.Background()); err == nil {
		t.Error("Serve before Listen succeeded")
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	// A keep-alive connection that made a request and is now idle.
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after cancel = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("still accepting connections after shutdown")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"root", func(c *Config) { c.Root = "" }, "www root"},
		{"addr", func(c *Config) { c.Addr = "8080" }, "listen address"},
		{"ssh port", func(c *Config) { c.WebSSHPort = 0 }, "web shell port"},
		{"timeout", func(c *Config) { c.ReadHeaderTimeout = 0 }, "read-header timeout"},
		{"headers", func(c *Config) { c.MaxHeaderBytes = 10 }, "header limit"},
		{"check", func(c *Config) { c.CheckEvery = -1 }, "check interval"},
		{"cache", func(c *Config) { c.MaxCachedFile = -1 }, "cache limits"},
	}
	base := Defaults()
	base.Addr, base.WebSSHPort = ":8080", 8001 // from the settings in production
	for _, tt := range tests {
		c := base
		tt.mod(&c)
		if _, err := New(c, logging.Nop()); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: New error = %v, want mention of %q", tt.name, err, tt.want)
		}
	}
	if err := base.Validate(); err != nil {
		t.Errorf("defaults with the settings' values: %v", err)
	}
}
