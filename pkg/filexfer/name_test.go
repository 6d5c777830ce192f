package filexfer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"../x.txt", "x.txt"},
		{"../../../etc/passwd", "passwd"},
		{`C:\Users\a\notes.txt`, "notes.txt"},
		{"a/", "upload"},
		{"..", "upload"},
		{".", "upload"},
		{"", "upload"},
		{"  spaced  ", "spaced"},
		{"bell\a\x1b[31m.txt", "bell__[31m.txt"},
		{"bad\xffutf8", "bad_utf8"},
		{"你好.txt", "你好.txt"},
		{".bashrc", ".bashrc"},
		{strings.Repeat("é", 200), strings.Repeat("é", 120)},
	} {
		if got := CleanName(tt.in); got != tt.want {
			t.Errorf("CleanName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNumbered(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"name", 0, "name"},
		{"name", 1, "name (1)"},
		{"report.pdf", 2, "report (2).pdf"},
		{".bashrc", 1, ".bashrc (1)"},
		{"archive.tar.gz", 1, "archive.tar (1).gz"},
		{"v1.2 final", 1, "v1.2 final (1)"},
		{"x.verylongextension", 1, "x.verylongextension (1)"},
	} {
		if got := Numbered(tt.in, tt.n); got != tt.want {
			t.Errorf("Numbered(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// FuzzCleanName: whatever a browser sends, the name is one plain,
// printable path component that fits with its number.
func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"a.txt", "../x", `..\..\y`, "\x00", "a/b/..", strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := CleanName(in)
		if got == "" || got == "." || got == ".." || strings.ContainsAny(got, "/\\\x00") || !utf8.ValidString(got) {
			t.Fatalf("CleanName(%q) = %q", in, got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("CleanName(%q) = %q: control character", in, got)
			}
		}
		if n := Numbered(got, 999); len(n) > 255 {
			t.Fatalf("Numbered(CleanName(%q), 999) is %d bytes", in, len(n))
		}
		if CleanName(got) != got {
			t.Fatalf("CleanName not idempotent on %q", got)
		}
	})
}
