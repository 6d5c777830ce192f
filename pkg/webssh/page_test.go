package webssh

import (
	"bytes"
	"html/template"
	"testing"
)

// The page was once rendered with html/template; renderPage must give
// the same bytes for every title, hostile ones included.
var refPage = template.Must(template.New("page").Parse(`<!DOCTYPE html>
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

func TestRenderPageMatchesTemplate(t *testing.T) {
	for _, title := range []string{
		"", "vm42.example", "vm-<42>.example", `a"b'c`, "x&amp;y", `"><script>alert(1)</script>`,
		"主机", "tab\there", "\x00nul", "a+b=c", "\xff\xfe bad utf-8",
	} {
		want := title
		if want == "" {
			want = "terminal"
		}
		var ref bytes.Buffer
		if err := refPage.Execute(&ref, struct{ Title string }{want}); err != nil {
			t.Fatal(err)
		}
		if got := renderPage(title); !bytes.Equal(got, ref.Bytes()) {
			t.Errorf("renderPage(%q) =\n%s\nwant (html/template)\n%s", title, got, ref.Bytes())
		}
	}
}
