package pagetmpl

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var vars = map[string]string{
	"hostname":    "app.example.com",
	"application": "ownCloud",
	"version1":    "1.0",
	"version2":    "4.0.7",
	"curtime":     "09:05",
	"empty":       "",
	"a_1":         "X",
}

func TestRender(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"no variables", "no variables"},
		{"$hostname", "app.example.com"},
		{"http://$hostname:8001/", "http://app.example.com:8001/"},
		{"${hostname}", "app.example.com"},
		{"${application}Cloud", "ownCloudCloud"},
		{"$applicationCloud", "$applicationCloud"}, // a longer, unknown name
		{"v$version1/$version2 at $curtime", "v1.0/4.0.7 at 09:05"},
		{"$unknown stays", "$unknown stays"},
		{"${unknown} stays", "${unknown} stays"},
		{"$HOSTNAME is case sensitive", "$HOSTNAME is case sensitive"},
		{"price $5 and $ alone and trailing $", "price $5 and $ alone and trailing $"},
		{"$$hostname", "$hostname"},
		{"$$$hostname", "$app.example.com"},
		{"$$$$", "$$"},
		{"${hostname", "${hostname"},
		{"${ hostname }", "${ hostname }"},
		{"${}", "${}"},
		{"${1x}", "${1x}"},
		{"$1x", "$1x"},
		{"$_", "$_"},
		{"$a_1.$a_1", "X.X"},
		{"[$empty]", "[]"},
		{"欢迎使用落云 $application 虚拟应用", "欢迎使用落云 ownCloud 虚拟应用"},
		{"（ 版本：$version1 $application：$version2 ）", "（ 版本：1.0 ownCloud：4.0.7 ）"},
		{"<a href=\"http://$hostname\">", "<a href=\"http://app.example.com\">"},
		{"$hostname$hostname", "app.example.comapp.example.com"},
		{"\x00$hostname\xff", "\x00app.example.com\xff"},
	}
	for _, tt := range tests {
		got := string(Parse([]byte(tt.in)).Render(Map(vars)))
		if got != tt.want {
			t.Errorf("Render(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	got := Parse([]byte("$a ${b} $a $$c ${d $e1")).Names()
	if want := []string{"a", "b", "e1"}; !cmp.Equal(got, want) {
		t.Errorf("Names = %q, want %q", got, want)
	}
}

func TestAppendReusesBuffer(t *testing.T) {
	tp := Parse([]byte("x=$hostname"))
	buf := make([]byte, 0, 64)
	out := tp.Append(buf[:0], Map(vars))
	if string(out) != "x=app.example.com" || &out[0] != &buf[:1][0] {
		t.Errorf("Append = %q, did not reuse the buffer", out)
	}
}

// collapse is the reference for a render with no known names: "$$" -> "$".
func collapse(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '$' && i+1 < len(s) && s[i+1] == '$' {
			i++
		}
	}
	return b.String()
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "$hostname", "${a}", "$$", "${", "$", "a$b${c}$$d", "${x}y"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		tp := Parse(src)
		none := tp.Render(func(string) (string, bool) { return "", false })
		if want := collapse(string(src)); string(none) != want {
			t.Fatalf("unknown names changed the text: %q -> %q, want %q", src, none, want)
		}
		// Every referenced name is replaced when known.
		all := tp.Render(func(string) (string, bool) { return "\x00", true })
		if n := bytes.Count(all, []byte{0}) - bytes.Count(src, []byte{0}); n < len(tp.Names()) {
			t.Fatalf("%d substitutions for %d names in %q", n, len(tp.Names()), src)
		}
	})
}

func BenchmarkRender(b *testing.B) {
	page := bytes.Repeat([]byte("<p>$hostname runs $application $version1/$version2 at $curtime; $unknown</p>\n"), 40)
	tp := Parse(page)
	lookup := Map(vars)
	buf := make([]byte, 0, 8192)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		buf = tp.Append(buf[:0], lookup)
	}
}
