package webpage

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/luoyun/osmanager/pkg/logging"
)

// The two page sets.
const (
	WithCookie = "withcookie"
	NoCookie   = "nocookie"
)

// Header values shared by every response (never modified in place).
var (
	hdrNoStore   = []string{"no-store"}
	hdrNoSniff   = []string{"nosniff"}
	hdrNoRef     = []string{"no-referrer"}
	hdrPlainText = []string{"text/plain; charset=utf-8"}
	hdrAllow     = []string{"GET, HEAD"}
	// Another site may not frame the page (clickjacking): CSP for current
	// browsers, X-Frame-Options for old ones.
	hdrFrameCSP = []string{"frame-ancestors 'self'"}
	hdrFrameXFO = []string{"SAMEORIGIN"}
)

// ServeHTTP serves one request and writes its access log line.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	status, n, variant := s.serve(w, r, start)
	if isProbe(r) && !s.probe(status, start) {
		return // counted; summed up in one line every ProbeSummaryEvery
	}
	if ce := s.access.Check(zapcore.InfoLevel, "request"); ce != nil {
		p := r.URL.Path
		if len(p) > 256 {
			p = p[:256] + "..."
		}
		ce.Write(
			logging.String("remote", r.RemoteAddr),
			logging.String("method", r.Method),
			logging.String("path", p), // never the query: it holds the cookie
			logging.String("pages", variant),
			logging.Int("status", status),
			logging.Int64("bytes", n),
			logging.Duration("took", s.now().Sub(start)),
		)
	}
}

// serve answers the request; it returns the status, the body bytes
// written and the page set used.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, now time.Time) (int, int64, string) {
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h["Allow"] = hdrAllow
		return plain(w, http.StatusMethodNotAllowed), 0, ""
	}
	vars := s.vars.get(now)
	variant := NoCookie
	if r.URL.RawQuery != "" && vars.unlocks(queryCookie(r.URL.RawQuery)) {
		variant = WithCookie
	}
	rel, dirSlash, ok := cleanPath(r)
	if !ok {
		return plain(w, http.StatusBadRequest), 0, variant
	}
	f, err := s.files.get(variant, rel, now)
	if err != nil {
		if errors.Is(err, errNotFound) {
			return plain(w, http.StatusNotFound), 0, variant
		}
		s.log.Error("cannot read page file", logging.String("pages", variant), logging.String("path", rel), logging.Error(err))
		return plain(w, http.StatusInternalServerError), 0, variant
	}
	if f.isDir && !dirSlash {
		if f.stream != nil {
			f.stream.Close()
		}
		// A directory's relative links need the slash.
		target := (&url.URL{Path: "/" + rel + "/"}).EscapedPath()
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		h["Location"] = []string{target}
		return plain(w, http.StatusMovedPermanently), 0, variant
	}
	h["X-Content-Type-Options"] = hdrNoSniff
	h["Content-Security-Policy"], h["X-Frame-Options"] = hdrFrameCSP, hdrFrameXFO
	h["Content-Type"] = f.ctype
	switch {
	case f.stream != nil:
		defer f.stream.Close()
		sw := &countingWriter{ResponseWriter: w, status: http.StatusOK}
		http.ServeContent(sw, r, f.name, f.modTime, f.stream)
		return sw.status, sw.n, variant
	case f.tmpl != nil:
		page := s.render(f, vars)
		h["Cache-Control"] = hdrNoStore
		h["Referrer-Policy"] = hdrNoRef // the URL may hold the cookie
		h["Content-Length"] = page.length
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodHead {
			return http.StatusOK, 0, variant
		}
		n, _ := w.Write(page.body)
		return http.StatusOK, int64(n), variant
	default:
		sw := &countingWriter{ResponseWriter: w, status: http.StatusOK}
		http.ServeContent(sw, r, f.name, f.modTime, bytes.NewReader(f.data))
		return sw.status, sw.n, variant
	}
}

// render returns f's page for the snapshot, rendering it once per
// snapshot generation.
func (s *Server) render(f *file, vars *snapshot) *rendering {
	if p := f.rendered.Load(); p != nil && p.gen == vars.gen {
		return p
	}
	body := f.tmpl.Render(vars.lookupFor(f.name))
	p := &rendering{gen: vars.gen, body: body, length: []string{strconv.Itoa(len(body))}}
	f.rendered.Store(p)
	return p
}

// plain writes a one-line plain-text error page and returns its status.
func plain(w http.ResponseWriter, status int) int {
	h := w.Header()
	h["Content-Type"] = hdrPlainText
	h["X-Content-Type-Options"] = hdrNoSniff
	h["Cache-Control"] = hdrNoStore
	w.WriteHeader(status)
	_, _ = w.Write([]byte(strconv.Itoa(status) + " " + strings.ToLower(http.StatusText(status)) + "\n"))
	return status
}

// countingWriter records the status and body size of a response.
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (c *countingWriter) WriteHeader(code int) {
	c.status = code
	c.ResponseWriter.WriteHeader(code)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}
