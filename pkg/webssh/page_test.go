package webssh

import (
	"bytes"
	"html/template"
	"testing"
)

// The page was once rendered with html/template; renderPage must give
// the same bytes for every title, hostile ones included: the reference
// puts the title through html/template's escaping in the same two places.
var refPage = template.Must(template.New("page").Parse(pageHead + "{{.Title}}" + pageMid + "{{.Title}}" + pageTail))

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
