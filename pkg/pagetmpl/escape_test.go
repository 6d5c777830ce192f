package pagetmpl

import (
	"html"
	"strings"
	"testing"

	"github.com/luoyun/osmanager/internal/jstoken"
)

// jsLine is a script line that uses a value in each kind of literal.
const jsLine = "var a = '$v', b = \"$v\", c = `$v`; f(a) // end\n"

// checkJS substitutes EscapeJS(v) into jsLine and checks that the line
// has the same tokens as with a plain value, each literal holding v.
func checkJS(t *testing.T, v string) {
	t.Helper()
	want, err := jstoken.Scan(strings.ReplaceAll(jsLine, "$v", "x"))
	if err != nil {
		t.Fatal(err)
	}
	src := Parse([]byte(jsLine)).Render(Map(map[string]string{"v": EscapeJS(v)}))
	got, err := jstoken.Scan(string(src))
	if err != nil {
		t.Fatalf("value %q: %v in %s", v, err, src)
	}
	if len(got) != len(want) {
		t.Fatalf("value %q: %d tokens %v, want %d %v", v, len(got), got, len(want), want)
	}
	value := string([]rune(v)) // invalid bytes as U+FFFD, as EscapeJS writes them
	for i := range want {
		g, w := got[i], want[i]
		if g.Kind != w.Kind || (w.Kind != jstoken.String && g.Text != w.Text) {
			t.Fatalf("value %q: token %d = %v, want %v (line %s)", v, i, g, w, src)
		}
		if w.Kind == jstoken.String && g.Value != value {
			t.Fatalf("value %q: literal %d holds %q", v, i, g.Value)
		}
	}
}

// TestEscapeJS: values that would end a literal or the script stay
// inside each kind of string literal.
func TestEscapeJS(t *testing.T) {
	for _, v := range []string{
		"app.example.com",
		`;globalThis.PWNED=1//\`,
		`\`, `\'`, `'`, `"`, "`", "${alert(1)}", "</script><script>alert(1)</script>",
		"<!--", "a\u2028b\u2029c", "line\nbreak\r", "nul\x00del\x7f", "\xff\xfe bad utf-8", "汉字",
	} {
		checkJS(t, v)
	}
	for _, c := range []string{`'`, `"`, "`", "<", ">", "&", "$", "\u2028", "\u2029", "\n"} {
		if got := EscapeJS(c); strings.Contains(got, c) {
			t.Errorf("EscapeJS(%q) = %q: kept as is", c, got)
		}
	}
}

// TestEscapeHTML: the five HTML characters and the backslash become
// character references; nothing else changes.
func TestEscapeHTML(t *testing.T) {
	if got, want := EscapeHTML(`<a href='x' title="y">\&`), `&lt;a href=&#39;x&#39; title=&#34;y&#34;&gt;&#92;&amp;`; got != want {
		t.Errorf("EscapeHTML = %q, want %q", got, want)
	}
	if got := EscapeHTML("app.example.com 汉字"); got != "app.example.com 汉字" {
		t.Errorf("EscapeHTML changed a plain value: %q", got)
	}
}

func FuzzEscapeJS(f *testing.F) {
	for _, s := range []string{"", "app.example.com", `;globalThis.PWNED=1//\`, "${x}", "\u2028", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		checkJS(t, v)
	})
}

func FuzzEscapeHTML(f *testing.F) {
	for _, s := range []string{"", "<script>", `\'"&`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := EscapeHTML(v)
		if strings.ContainsAny(got, `<>'"\`) {
			t.Fatalf("EscapeHTML(%q) = %q: a special character left", v, got)
		}
		if back := html.UnescapeString(got); back != v {
			t.Fatalf("EscapeHTML(%q) = %q, unescapes to %q", v, got, back)
		}
	})
}
