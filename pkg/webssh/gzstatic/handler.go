// Package gzstatic serves static files stored gzip-compressed: the
// compressed bytes as they are to clients that accept gzip, decompressed
// on the fly to those that do not (curl without --compressed, old
// proxies), with an ETag per variant, conditional and range requests and
// HEAD answered by net/http's ServeContent.
package gzstatic

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

// Suffix ends the name of every stored file: NAME is served from
// NAME.gz.
const Suffix = ".gz"

// Handler serves the files of one directory of an fs.FS: the request
// path /NAME (mount it with http.StripPrefix) is answered from
// DIR/NAME.gz.
// Paths with a further slash, and names with no NAME.gz, get 404.
type Handler struct {
	fsys  fs.FS
	dir   string
	types map[string]string

	mu    sync.Mutex
	files map[string]*entry // filled as names are first asked for
}

// entry is what a response needs besides the bytes, worked out once per
// name.
type entry struct {
	gzSize   int64  // stored size
	size     int64  // decompressed size, from the gzip trailer
	ctype    string // Content-Type
	etagGzip string
	etag     string // of the decompressed variant
}

// New returns a Handler serving the NAME.gz files of directory dir of
// fsys ("." for its top). types maps an extension (".js") to the
// Content-Type of the names that end in it; other names get what
// http.DetectContentType makes of their first decompressed bytes.
//
// The table is the caller's, not mime.TypeByExtension: the first call of
// that loads the system's mime.types and keeps it, about 450 KB of heap
// for good, to look up the two or three types a page needs.
func New(fsys fs.FS, dir string, types map[string]string) *Handler {
	return &Handler{fsys: fsys, dir: dir, types: types, files: make(map[string]*entry)}
}

// stored returns the path in fsys of name's stored file.
func (h *Handler) stored(name string) string {
	return path.Join(h.dir, name+Suffix)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == "" || strings.Contains(name, "/") || !fs.ValidPath(name+Suffix) {
		http.NotFound(w, r)
		return
	}
	e, err := h.lookup(name)
	if errors.Is(err, fs.ErrNotExist) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	f, err := h.fsys.Open(h.stored(name))
	if err != nil {
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Add("Vary", "Accept-Encoding")
	hd.Set("Content-Type", e.ctype)
	if AcceptsGzip(r.Header.Values("Accept-Encoding")) {
		hd.Set("Content-Encoding", "gzip")
		hd.Set("ETag", e.etagGzip)
		// ServeContent leaves Content-Length out when Content-Encoding is
		// set (it cannot know whether the writer compresses again), and
		// an HTTP/1.0 proxy then only sees the end when the connection
		// closes. Full responses get it here; ranges of the compressed
		// bytes are not offered (RFC 9110, 14.2 lets a server ignore
		// Range): the client gets the whole 200.
		whole := *r
		whole.Header = r.Header.Clone()
		whole.Header.Del("Range")
		http.ServeContent(&lengthWriter{ResponseWriter: w, size: e.gzSize}, &whole, name, zeroTime, rs)
		return
	}
	hd.Set("ETag", e.etag)
	http.ServeContent(w, r, name, zeroTime, &gunzipSeeker{gz: rs, size: e.size})
}

// lookup returns name's entry, working it out on first use.
func (h *Handler) lookup(name string) (*entry, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e, ok := h.files[name]; ok {
		return e, nil
	}
	e, err := describe(h.fsys, h.stored(name), h.types[path.Ext(name)])
	if err != nil {
		return nil, err
	}
	h.files[name] = e
	return e, nil
}

// describe reads the stored file once: its hash names both variants, its
// trailer gives the decompressed size, and its first decompressed bytes
// the Content-Type when ctype is empty.
func describe(fsys fs.FS, stored, ctype string) (*entry, error) {
	f, err := fsys.Open(stored)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", stored, err)
	}
	defer f.Close()
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		return nil, fmt.Errorf("%s: not seekable", stored)
	}
	sum := sha256.New()
	n, err := io.Copy(sum, rs)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stored, err)
	}
	if n < 18 { // gzip header (10) and trailer (8)
		return nil, fmt.Errorf("%s: %d bytes, too short for gzip", stored, n)
	}
	var trailer [4]byte
	if _, err := rs.Seek(-4, io.SeekEnd); err != nil {
		return nil, fmt.Errorf("seek %s: %w", stored, err)
	}
	if _, err := io.ReadFull(rs, trailer[:]); err != nil {
		return nil, fmt.Errorf("read %s: %w", stored, err)
	}
	tag := base64.RawURLEncoding.EncodeToString(sum.Sum(nil)[:12])
	e := &entry{
		gzSize:   n,
		size:     int64(binary.LittleEndian.Uint32(trailer[:])),
		etag:     `"` + tag + `"`,
		etagGzip: `"` + tag + `-gzip"`,
		ctype:    ctype,
	}
	if e.ctype == "" {
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("seek %s: %w", stored, err)
		}
		zr, err := gzip.NewReader(rs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", stored, err)
		}
		head := make([]byte, 512)
		k, err := io.ReadFull(zr, head)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: %w", stored, err)
		}
		e.ctype = http.DetectContentType(head[:k])
	}
	return e, nil
}

// lengthWriter sets Content-Length to size on a 200 response, and says
// that ranges of it are not offered.
type lengthWriter struct {
	http.ResponseWriter
	size int64
}

// WriteHeader implements http.ResponseWriter.
func (w *lengthWriter) WriteHeader(code int) {
	if code == http.StatusOK {
		w.Header().Set("Content-Length", strconv.FormatInt(w.size, 10))
		w.Header().Set("Accept-Ranges", "none")
	}
	w.ResponseWriter.WriteHeader(code)
}
