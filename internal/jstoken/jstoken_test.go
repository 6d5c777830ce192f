package jstoken

import (
	"errors"
	"testing"
)

func TestScan(t *testing.T) {
	toks, err := Scan("var a = 'x\\'\\u0041', b = \"\\\\\" // c\n`t` /* d */ f(1)")
	if err != nil {
		t.Fatal(err)
	}
	want := []Token{
		{Kind: Word, Text: "var"}, {Kind: Word, Text: "a"}, {Kind: Punct, Text: "="},
		{Kind: String, Value: "x'A"}, {Kind: Punct, Text: ","}, {Kind: Word, Text: "b"}, {Kind: Punct, Text: "="},
		{Kind: String, Value: `\`}, {Kind: Comment, Text: "// c"}, {Kind: String, Value: "t"},
		{Kind: Comment, Text: "/* d */"}, {Kind: Word, Text: "f"}, {Kind: Punct, Text: "("}, {Kind: Word, Text: "1"}, {Kind: Punct, Text: ")"},
	}
	if len(toks) != len(want) {
		t.Fatalf("Scan = %v, want %v", toks, want)
	}
	for i, w := range want {
		g := toks[i]
		if g.Kind != w.Kind || w.Kind == String && g.Value != w.Value || w.Kind != String && g.Text != w.Text {
			t.Errorf("token %d = %v, want %v", i, g, w)
		}
	}
	for _, bad := range []string{"'open", "'a\nb'", "`${x}`", "/* open", "'\\u12'"} {
		if _, err := Scan(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("Scan(%q) error = %v, want ErrSyntax", bad, err)
		}
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range []string{"var a = 'x';", "`${", "'\\u{110000}'", "'\\x4", "/*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		_, _ = Scan(src) // must not panic
	})
}
