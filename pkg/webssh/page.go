package webssh

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
)

// static holds xterm.js, its stylesheet, the fit addon, their licence and
// the page's script. They are built from ui/ (see ui/build.sh) and
// committed so that `go build` needs no npm.
//
//go:embed static
var static embed.FS

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="static/xterm.css">
<link rel="stylesheet" href="static/webssh.css">
</head>
<body>
<div id="terminal" data-title="{{.Title}}"></div>
<div id="status" role="status" aria-live="polite"></div>
<script src="static/xterm.js"></script>
<script src="static/addon-fit.js"></script>
<script src="static/webssh.js"></script>
</body>
</html>
`))

func renderPage(title string) ([]byte, error) {
	if title == "" {
		title = "terminal"
	}
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, struct{ Title string }{title}); err != nil {
		return nil, fmt.Errorf("render page: %w", err)
	}
	return b.Bytes(), nil
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
	_, _ = w.Write(s.page)
}

func staticHandler() http.Handler {
	// Paths /static/NAME map onto the embedded static/NAME.
	fsrv := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fsrv.ServeHTTP(w, r)
	})
}
