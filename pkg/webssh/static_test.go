package webssh

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/luoyun/osmanager/pkg/webssh/gzstatic"
)

// TestStaticMatchesUI checks that the embedded assets are what
// mkstatic makes of ui/ (`go generate`, ui/build.sh): for every page file
// ui/*.js, ui/*.css and every vendored file ui/vendor/NAME, static/NAME.gz
// decompresses to exactly its bytes and is byte for byte what
// gzstatic.Compress gives (best compression, no name, no time); nothing
// else is embedded. And the vendored xterm.js is of the version
// package.json pins.
func TestStaticMatchesUI(t *testing.T) {
	var srcs []string
	for _, pat := range []string{"ui/*.js", "ui/*.css", "ui/vendor/*"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, m...)
	}
	made := map[string]bool{}
	for _, src := range srcs {
		name := filepath.Base(src) + gzstatic.Suffix
		made[name] = true
		plain, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		gz, err := static.ReadFile("static/" + name)
		if err != nil {
			t.Errorf("%s: %v (run go generate in pkg/webssh and commit static/)", src, err)
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Errorf("static/%s: %v", name, err)
			continue
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Errorf("static/%s: %v", name, err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("static/%s decompresses to %d bytes that differ from %s (%d bytes): run go generate in pkg/webssh and commit static/", name, len(got), src, len(plain))
		}
		if zr.Name != "" || !zr.ModTime.IsZero() || zr.Comment != "" {
			t.Errorf("static/%s: header has name %q, time %v, comment %q; want none", name, zr.Name, zr.ModTime, zr.Comment)
		}
		if best, err := gzstatic.Compress(plain); err != nil || !bytes.Equal(best, gz) {
			t.Errorf("static/%s (%d bytes) is not what mkstatic writes (%d bytes, %v): run go generate in pkg/webssh", name, len(gz), len(best), err)
		}
	}
	ents, err := static.ReadDir("static")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !made[e.Name()] {
			t.Errorf("static/%s is embedded but made from no file of ui/", e.Name())
		}
	}
	for _, name := range []string{"xterm.js", "xterm.css", "addon-fit.js", "LICENSE.xterm", "webssh.js", "inputworker.js"} {
		if !made[name+gzstatic.Suffix] {
			t.Errorf("no source for static/%s%s", name, gzstatic.Suffix)
		}
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	data, err := os.ReadFile(filepath.Join("ui", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatal(err)
	}
	want := strings.TrimLeft(pkg.Dependencies["@xterm/xterm"], "^~=")
	if want == "" {
		t.Fatal("package.json does not pin @xterm/xterm")
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	data, err = os.ReadFile(filepath.Join("ui", "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		t.Fatal(err)
	}
	if got := lock.Packages["node_modules/@xterm/xterm"].Version; got != want {
		t.Errorf("package-lock.json has @xterm/xterm %q, package.json pins %q", got, want)
	}
}

// TestEmbeddedCompressed: the binary carries the assets compressed only.
func TestEmbeddedCompressed(t *testing.T) {
	ents, err := static.ReadDir("static")
	if err != nil {
		t.Fatal(err)
	}
	var total int
	for _, e := range ents {
		b, err := static.ReadFile("static/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		total += len(b)
		if !strings.HasSuffix(e.Name(), gzstatic.Suffix) {
			t.Errorf("static/%s embedded uncompressed", e.Name())
		}
	}
	// 526 KB plain; 136 KB compressed (xterm.js 6.0.0: 121 KB of it).
	if total > 160<<10 {
		t.Errorf("embedded assets take %d bytes, want at most %d", total, 160<<10)
	}
}

// TestStaticServedCompressed fetches xterm.js from a running server with
// and without Accept-Encoding: gzip, as a browser and as curl do, over
// HTTP/1.0 as the cloud's nginx asks (no chunking: the length must be in
// the header), and revalidates each variant by its ETag.
func TestStaticServedCompressed(t *testing.T) {
	plain, err := os.ReadFile("ui/vendor/xterm.js")
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Config{})
	get := func(ae, inm string) (*http.Response, []byte) {
		t.Helper()
		conn, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		req := "GET /static/xterm.js HTTP/1.0\r\nHost: " + s.Addr().String() + "\r\n"
		if ae != "" {
			req += "Accept-Encoding: " + ae + "\r\n"
		}
		if inm != "" {
			req += "If-None-Match: " + inm + "\r\n"
		}
		if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	checkHeaders := func(what string, resp *http.Response) {
		t.Helper()
		for k, v := range map[string]string{
			"Vary":                         "Accept-Encoding",
			"Content-Type":                 "text/javascript; charset=utf-8",
			"Cache-Control":                "public, max-age=3600",
			"X-Content-Type-Options":       "nosniff",
			"Cross-Origin-Embedder-Policy": "require-corp",
			"Cross-Origin-Resource-Policy": "same-origin",
		} {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s: %s %q, want %q", what, k, got, v)
			}
		}
	}

	resp, gz := get("gzip, deflate, br, zstd", "")
	checkHeaders("gzip", resp)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("with Accept-Encoding: gzip: %d, Content-Encoding %q; want 200, gzip", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	if resp.ContentLength != int64(len(gz)) || len(gz) > len(plain)/3 {
		t.Errorf("gzip: Content-Length %d, %d bytes sent; want equal and at most a third of %d", resp.ContentLength, len(gz), len(plain))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("gzip body decompresses to %d bytes (%v), not ui/vendor/xterm.js", len(got), err)
	}
	etagGz := resp.Header.Get("ETag")

	for _, ae := range []string{"", "gzip;q=0"} {
		resp, body := get(ae, "")
		checkHeaders("plain", resp)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, plain) {
			t.Fatalf("Accept-Encoding %q: %d, Content-Encoding %q, %d bytes; want 200, none, ui/vendor/xterm.js", ae, resp.StatusCode, resp.Header.Get("Content-Encoding"), len(body))
		}
		if resp.ContentLength != int64(len(plain)) {
			t.Errorf("Accept-Encoding %q: Content-Length %d, want %d", ae, resp.ContentLength, len(plain))
		}
		etag := resp.Header.Get("ETag")
		if etag == "" || etagGz == "" || etag == etagGz {
			t.Fatalf("ETags plain %q, gzip %q: want both, different", etag, etagGz)
		}
		if resp, body := get(ae, etag); resp.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Errorf("Accept-Encoding %q, If-None-Match its ETag: %d, %d bytes; want 304", ae, resp.StatusCode, len(body))
		}
	}
	if resp, _ := get("gzip", etagGz); resp.StatusCode != http.StatusNotModified {
		t.Errorf("gzip, If-None-Match its ETag: %d; want 304", resp.StatusCode)
	}
}

// TestStaticHeap: serving every asset, both variants, leaves little heap
// behind. net/http's file server, which served them before, called
// mime.TypeByExtension, whose first call loads the system's mime.types
// and keeps it for good (about 450 KB with Debian's). Measured in a fresh
// process of this test binary: mime loads once per process.
func TestStaticHeap(t *testing.T) {
	if os.Getenv("WEBSSH_STATIC_HEAP_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStaticHeap$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "WEBSSH_STATIC_HEAP_CHILD=1")
		out, err := cmd.CombinedOutput()
		t.Logf("child:\n%s", out)
		if err != nil {
			t.Fatalf("child: %v", err)
		}
		return
	}
	ents, err := static.ReadDir("static")
	if err != nil {
		t.Fatal(err)
	}
	h := staticHandler()
	serveAll := func() {
		for _, e := range ents {
			for _, ae := range []string{"gzip", ""} {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest("GET", "/static/"+strings.TrimSuffix(e.Name(), gzstatic.Suffix), nil)
				req.Header.Set("Accept-Encoding", ae)
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					t.Fatalf("GET %s: %d", req.URL, rec.Code)
				}
			}
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	serveAll()
	runtime.GC()
	runtime.ReadMemStats(&after)
	kept := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap kept after serving every asset: %d bytes", kept)
	if kept > 150<<10 {
		t.Errorf("serving the assets kept %d bytes of heap, want at most %d", kept, 150<<10)
	}
}
