package webssh

import (
	"embed"
	"net/http"
	"strings"

	"github.com/luoyun/osmanager/pkg/webssh/gzstatic"
)

// static holds xterm.js, its stylesheet, the fit addon, their licences
// and the page's own scripts and stylesheet, each gzip-compressed
// (static/NAME.gz: 136 KB instead of 526 KB in the binary). mkstatic
// writes them from ui/ and ui/vendor/ (the npm packages ui/build.sh
// unpacks); they are committed so that `go build` needs no npm. Only the
// .gz files are embedded.
//
//go:generate go run ./internal/mkstatic -ui ui -out static
//go:embed static/*.gz
var static embed.FS

// pageHead and pageTail surround the escaped title; the page is built
// once per server. Plain concatenation with a fixed escaper, not
// html/template: the template engine (and the regexp and reflection it
// brings) would add about 2 MB to the binary, most of it mapped at run
// time, for one escaped string.
const (
	pageHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>`
	pageMid = `</title>
<link rel="stylesheet" href="static/xterm.css">
<link rel="stylesheet" href="static/webssh.css">
<link rel="stylesheet" href="static/transfer.css">
</head>
<body>
<div id="terminal" data-title="`
	pageTail = `"></div>
<div id="status" role="status" aria-live="polite"></div>
<script src="static/xterm.js"></script>
<script src="static/addon-fit.js"></script>
<script src="static/messages.js"></script>
<script src="static/keybar.js"></script>
<script src="static/webssh.js"></script>
<script src="static/transfer.js"></script>
</body>
</html>
`
)

// escapeTitle escapes what html/template escaped in the title and the
// attribute: the same bytes as before, safe both as element text and
// inside the double-quoted attribute.
var escapeTitle = strings.NewReplacer(
	"\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;",
)

// renderPage returns the terminal page titled title ("terminal" when
// empty).
func renderPage(title string) []byte {
	if title == "" {
		title = "terminal"
	}
	t := escapeTitle.Replace(title)
	return []byte(pageHead + t + pageMid + t + pageTail)
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'")
	h.Set("X-Frame-Options", "SAMEORIGIN") // browsers without CSP level 2
	// Cross-origin isolation: no other site's window keeps a handle on
	// the page, and the page embeds nothing that is not its own (it loads
	// only its own assets).
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Embedder-Policy", "require-corp")
	_, _ = w.Write(s.page)
}

// staticHandler serves /static/NAME from the embedded static/NAME.gz:
// as stored to browsers (and proxies) that accept gzip, decompressed to
// the others, with Vary: Accept-Encoding and an ETag per variant.
func staticHandler() http.Handler {
	// The assets' Content-Types by extension (what net/http's file server
	// gave them from mime's built-in table); the licences, without one,
	// are sniffed as text/plain. Made here, not by the package's
	// initialiser, which runs in every daemon of the one binary.
	staticTypes := map[string]string{
		".js":  "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8",
	}
	fsrv := http.StripPrefix("/static", gzstatic.New(static, "static", staticTypes))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		// Loaded by the isolated page (see servePage), workers included.
		w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
		w.Header().Set("Cross-Origin-Resource-Policy", "same-origin")
		fsrv.ServeHTTP(w, r)
	})
}
