package gzstatic

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// testFiles returns plain contents and the file system holding them
// compressed: a script large enough for several flate blocks, a
// stylesheet and a licence without an extension.
func testFiles(t *testing.T) (map[string][]byte, fstest.MapFS) {
	t.Helper()
	var js bytes.Buffer
	for i := range 20000 {
		fmt.Fprintf(&js, "var v%d = %d; // %x\n", i, i*i, i*7919)
	}
	plain := map[string][]byte{
		"app.js":  js.Bytes(),
		"app.css": []byte("body { margin: 0 }\n"),
		"LICENSE": []byte("The MIT License (MIT)\n\nCopyright (c) someone\n"),
	}
	fsys := fstest.MapFS{}
	for name, data := range plain {
		gz, err := Compress(data)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name+Suffix] = &fstest.MapFile{Data: gz}
	}
	return plain, fsys
}

// testTypes are the Content-Types by extension the tests' handlers use;
// LICENSE has no extension and is sniffed.
var testTypes = map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

// fetch sends one request through a real listener with the given
// headers; the client never asks for or undoes gzip by itself.
func fetch(t *testing.T, url, method string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestServeVariants(t *testing.T) {
	plain, fsys := testFiles(t)
	srv := httptest.NewServer(New(fsys, ".", testTypes))
	defer srv.Close()
	for name, want := range plain {
		gz := fsys[name+Suffix].Data
		t.Run(name, func(t *testing.T) {
			resp, body := fetch(t, srv.URL+"/"+name, "GET", map[string]string{"Accept-Encoding": "gzip, deflate, br"})
			if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(body, gz) {
				t.Fatalf("gzip GET: %d, Content-Encoding %q, %d bytes; want 200, gzip, the stored %d bytes",
					resp.StatusCode, resp.Header.Get("Content-Encoding"), len(body), len(gz))
			}
			if resp.ContentLength != int64(len(gz)) {
				t.Errorf("gzip Content-Length %d, want %d", resp.ContentLength, len(gz))
			}
			if got := resp.Header.Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("gzip Vary %q", got)
			}
			etagGz := resp.Header.Get("ETag")
			ctype := resp.Header.Get("Content-Type")

			for _, ae := range []string{"", "gzip;q=0", "identity", "br"} {
				hdr := map[string]string{}
				if ae != "" {
					hdr["Accept-Encoding"] = ae
				}
				resp, body := fetch(t, srv.URL+"/"+name, "GET", hdr)
				if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, want) {
					t.Fatalf("Accept-Encoding %q: %d, Content-Encoding %q, %d bytes; want 200, none, the plain %d bytes",
						ae, resp.StatusCode, resp.Header.Get("Content-Encoding"), len(body), len(want))
				}
				if resp.ContentLength != int64(len(want)) {
					t.Errorf("Accept-Encoding %q: Content-Length %d, want %d", ae, resp.ContentLength, len(want))
				}
				if got := resp.Header.Get("Vary"); got != "Accept-Encoding" {
					t.Errorf("Accept-Encoding %q: Vary %q", ae, got)
				}
				if got := resp.Header.Get("Content-Type"); got != ctype {
					t.Errorf("Accept-Encoding %q: Content-Type %q, gzip variant %q", ae, got, ctype)
				}
				etag := resp.Header.Get("ETag")
				if etag == "" || etag == etagGz || etagGz == "" {
					t.Errorf("ETags: plain %q, gzip %q: want both, different", etag, etagGz)
				}
			}
		})
	}
}

func TestContentType(t *testing.T) {
	_, fsys := testFiles(t)
	srv := httptest.NewServer(New(fsys, ".", testTypes))
	defer srv.Close()
	for name, want := range map[string]string{
		"app.js":  "text/javascript; charset=utf-8",
		"app.css": "text/css; charset=utf-8",
		"LICENSE": "text/plain; charset=utf-8", // sniffed from the decompressed text
	} {
		for _, ae := range []string{"gzip", ""} {
			resp, _ := fetch(t, srv.URL+"/"+name, "GET", map[string]string{"Accept-Encoding": ae})
			if got := resp.Header.Get("Content-Type"); got != want {
				t.Errorf("%s (Accept-Encoding %q): Content-Type %q, want %q", name, ae, got, want)
			}
		}
	}
}

func TestConditionalAndHead(t *testing.T) {
	plain, fsys := testFiles(t)
	srv := httptest.NewServer(New(fsys, ".", testTypes))
	defer srv.Close()
	url := srv.URL + "/app.js"
	gzHdr := map[string]string{"Accept-Encoding": "gzip"}
	resp, _ := fetch(t, url, "GET", gzHdr)
	etagGz := resp.Header.Get("ETag")
	resp, _ = fetch(t, url, "GET", nil)
	etag := resp.Header.Get("ETag")

	resp, body := fetch(t, url, "GET", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etagGz})
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("gzip, If-None-Match its ETag: %d, %d bytes; want 304, none", resp.StatusCode, len(body))
	}
	if resp.Header.Get("ETag") != etagGz || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("304 headers: ETag %q, Vary %q", resp.Header.Get("ETag"), resp.Header.Get("Vary"))
	}
	resp, _ = fetch(t, url, "GET", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("plain, If-None-Match its ETag: %d, want 304", resp.StatusCode)
	}
	// A cache holding the gzip variant asks without accepting gzip: the
	// plain variant is another representation.
	resp, body = fetch(t, url, "GET", map[string]string{"If-None-Match": etagGz})
	if resp.StatusCode != 200 || !bytes.Equal(body, plain["app.js"]) {
		t.Errorf("plain, If-None-Match the gzip ETag: %d, %d bytes; want 200, plain", resp.StatusCode, len(body))
	}
	if resp.Header.Get("Last-Modified") != "" {
		t.Errorf("Last-Modified %q: stored files have no time", resp.Header.Get("Last-Modified"))
	}

	for _, hdr := range []map[string]string{gzHdr, nil} {
		resp, body := fetch(t, url, "HEAD", hdr)
		want := int64(len(plain["app.js"]))
		if hdr != nil {
			want = int64(len(fsys["app.js"+Suffix].Data))
		}
		if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != want {
			t.Errorf("HEAD %v: %d, %d body bytes, Content-Length %d; want 200, none, %d", hdr, resp.StatusCode, len(body), resp.ContentLength, want)
		}
	}
}

func TestRange(t *testing.T) {
	plain, fsys := testFiles(t)
	srv := httptest.NewServer(New(fsys, ".", testTypes))
	defer srv.Close()
	js := plain["app.js"]
	resp, body := fetch(t, srv.URL+"/app.js", "GET", map[string]string{"Range": "bytes=300000-300099"})
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, js[300000:300100]) {
		t.Errorf("plain range: %d, %q; want 206, %q", resp.StatusCode, body, js[300000:300100])
	}
	gz := fsys["app.js"+Suffix].Data
	resp, body = fetch(t, srv.URL+"/app.js", "GET", map[string]string{"Range": "bytes=0-9", "Accept-Encoding": "gzip"})
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, gz) || resp.ContentLength != int64(len(gz)) {
		t.Errorf("gzip range: %d, %d bytes, Content-Length %d; want 200 and the whole %d (ranges of the compressed bytes are not offered)",
			resp.StatusCode, len(body), resp.ContentLength, len(gz))
	}
	if got := resp.Header.Get("Accept-Ranges"); got != "none" {
		t.Errorf("gzip: Accept-Ranges %q, want none", got)
	}
	// A failed precondition gets its 412 without the body's length.
	for _, ae := range []string{"gzip", ""} {
		resp, body = fetch(t, srv.URL+"/app.js", "GET", map[string]string{"If-Match": `"other"`, "Accept-Encoding": ae})
		if resp.StatusCode != http.StatusPreconditionFailed || resp.ContentLength > 0 || len(body) != 0 {
			t.Errorf("Accept-Encoding %q, If-Match another ETag: %d, Content-Length %d, %d bytes; want 412, empty", ae, resp.StatusCode, resp.ContentLength, len(body))
		}
	}
}

func TestNotFound(t *testing.T) {
	_, fsys := testFiles(t)
	fsys["sub/x.js"+Suffix] = &fstest.MapFile{Data: fsys["app.js"+Suffix].Data}
	fsys["broken.js"+Suffix] = &fstest.MapFile{Data: []byte("not gzip")}
	srv := httptest.NewServer(New(fsys, ".", testTypes))
	defer srv.Close()
	for _, p := range []string{"/", "/nothing.js", "/app.js.gz", "/sub/x.js", "/sub/", "/../app.js", "/app.js/"} {
		resp, _ := fetch(t, srv.URL+p, "GET", map[string]string{"Accept-Encoding": "gzip"})
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	resp, _ := fetch(t, srv.URL+"/broken.js", "GET", nil)
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("GET a stored file too short for gzip: %d, want 500", resp.StatusCode)
	}
}

// TestGunzipSeeker reads the decompressed content at random positions,
// back and forth, as ServeContent does for ranges, and compares it with
// the plain bytes.
func TestGunzipSeeker(t *testing.T) {
	plain, fsys := testFiles(t)
	js := plain["app.js"]
	s := &gunzipSeeker{gz: bytes.NewReader(fsys["app.js"+Suffix].Data), size: int64(len(js))}
	if end, err := s.Seek(0, io.SeekEnd); err != nil || end != int64(len(js)) {
		t.Fatalf("Seek(0, End) = %d, %v; want %d", end, err, len(js))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		off := rng.Int64N(int64(len(js)) + 10)
		n := rng.IntN(5000)
		if _, err := s.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(io.LimitReader(s, int64(n)))
		if err != nil {
			t.Fatalf("read %d at %d: %v", n, off, err)
		}
		want := js[min(off, int64(len(js))):min(off+int64(n), int64(len(js)))]
		if !bytes.Equal(got, want) {
			t.Fatalf("read %d at %d: %d bytes differ from the plain %d", n, off, len(got), len(want))
		}
	}
	if _, err := s.Seek(-1, io.SeekStart); err == nil {
		t.Error("Seek(-1) succeeded")
	}
	// A stored file shorter than its trailer says ends in an error, not
	// in silently short content.
	short := &gunzipSeeker{gz: bytes.NewReader(fsys["app.css"+Suffix].Data), size: 1000}
	if _, err := io.ReadAll(short); err == nil {
		t.Error("reading past the real end: no error")
	}
}

func TestCompressDeterministic(t *testing.T) {
	data := []byte(strings.Repeat("xterm ", 1000))
	a, err := Compress(data)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Compress(data)
	if !bytes.Equal(a, b) {
		t.Fatal("two runs differ")
	}
	zr, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() || zr.Comment != "" {
		t.Errorf("header: name %q, time %v, comment %q; want none", zr.Name, zr.ModTime, zr.Comment)
	}
	if got, _ := io.ReadAll(zr); !bytes.Equal(got, data) {
		t.Error("does not decompress to the input")
	}
}

// TestConcurrentFirstRequests: many first requests at once share the
// per-name entry (run with -race).
func TestConcurrentFirstRequests(t *testing.T) {
	plain, fsys := testFiles(t)
	srv := httptest.NewServer(New(fsys, ".", testTypes))
	defer srv.Close()
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			ae := ""
			if i%2 == 0 {
				ae = "gzip"
			}
			req, err := http.NewRequest("GET", srv.URL+"/app.js", nil)
			if err != nil {
				errs <- err
				return
			}
			req.Header.Set("Accept-Encoding", ae)
			resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			var r io.Reader = resp.Body
			if ae != "" {
				if r, err = gzip.NewReader(resp.Body); err != nil {
					errs <- err
					return
				}
			}
			body, err := io.ReadAll(r)
			if err == nil && !bytes.Equal(body, plain["app.js"]) {
				err = fmt.Errorf("Accept-Encoding %q: %d bytes differ from app.js", ae, len(body))
			}
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
