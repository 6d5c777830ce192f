package appliancebuild

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	u := Unknown
	tests := []struct {
		name string
		in   string
		want Info
	}{
		{"empty", "", Info{u, u, u}},
		{"canonical", "LuoYun 1.0\nownCloud: 4.0.7\n", Info{"1.0", "ownCloud", "4.0.7"}},
		{"no final newline", "LuoYun 1.0\nownCloud: 4.0.7", Info{"1.0", "ownCloud", "4.0.7"}},
		{"one line", "LuoYun 1.0\n", Info{"1.0", u, u}},
		{"one line no newline", "LuoYun 1.0", Info{"1.0", u, u}},
		{"one word", "LuoYun\n", Info{u, u, u}},
		{"extra spaces", "   LuoYun    1.0   build7 \n   ownCloud  :    4.0.7   extra \n", Info{"1.0", "ownCloud", "4.0.7"}},
		{"tabs", "LuoYun\t2.1\nwiki:\t3\n", Info{"2.1", "wiki", "3"}},
		{"CRLF", "LuoYun 1.0\r\nownCloud: 4.0.7\r\n", Info{"1.0", "ownCloud", "4.0.7"}},
		{"CRLF one line", "LuoYun 1.0\r\n", Info{"1.0", u, u}},
		{"BOM", "\xef\xbb\xbfLuoYun 1.0\nx: 2\n", Info{"1.0", "x", "2"}},
		{"no colon", "LuoYun 1.0\nownCloud 4.0.7\n", Info{"1.0", "ownCloud", "4.0.7"}},
		{"no colon one word", "LuoYun 1.0\nownCloud\n", Info{"1.0", "ownCloud", u}},
		{"colon no version", "LuoYun 1.0\nownCloud:\n", Info{"1.0", "ownCloud", u}},
		{"colon no app", "LuoYun 1.0\n: 4.0\n", Info{"1.0", u, "4.0"}},
		{"colon without space", "LuoYun 1.0\nownCloud:4.0.7\n", Info{"1.0", "ownCloud", "4.0.7"}},
		{"app with spaces", "LuoYun 1.0\nOwn  Cloud: 4.0.7\n", Info{"1.0", "Own Cloud", "4.0.7"}},
		{"blank first line", "\nownCloud: 4.0.7\n", Info{u, "ownCloud", "4.0.7"}},
		{"blank second line", "LuoYun 1.0\n\nownCloud: 4\n", Info{"1.0", u, u}},
		{"shipped default", "LuoYun 1.0\nappliance: unknown\n", Info{"1.0", "appliance", "unknown"}},
		{"chinese", "落云 1.0\n应用: 2.0\n", Info{"1.0", "应用", "2.0"}},
		{"control chars", "LuoYun 1.\x010\nap\x1bp: 2\x7f\n", Info{"1.0", "app", "2"}},
		{"invalid utf8", "LuoYun \xff\xfe\nx: 1\n", Info{"\uFFFD", "x", "1"}},
		{"only spaces", "   \n   \n", Info{u, u, u}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Parse([]byte(tt.in)); got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseLongValue(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes
	got := Parse([]byte("LuoYun " + long + "\n"))
	if len(got.Version1) > maxValue || !utf8.ValidString(got.Version1) || !strings.HasPrefix(long, got.Version1) {
		t.Errorf("long value: %d bytes, valid %v", len(got.Version1), utf8.ValidString(got.Version1))
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	got, err := Load(filepath.Join(dir, "missing"))
	if err != nil || got != UnknownInfo() {
		t.Errorf("Load(missing) = %+v, %v; want unknown, nil", got, err)
	}
	p := filepath.Join(dir, "VERSION")
	if err := os.WriteFile(p, []byte("LuoYun 1.2\r\nwiki: 3.4\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = Load(p)
	if want := (Info{"1.2", "wiki", "3.4"}); err != nil || got != want {
		t.Errorf("Load = %+v, %v; want %+v", got, err, want)
	}
	// A directory in the way is an error, but still gives values.
	got, err = Load(dir)
	if err == nil || got != UnknownInfo() {
		t.Errorf("Load(dir) = %+v, %v; want unknown and an error", got, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "LuoYun 1.0\nownCloud: 4.0.7\n", "a\r\nb:c\r\n", ":", "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info := Parse(data)
		for _, v := range []string{info.Version1, info.Application, info.Version2} {
			if v == "" || len(v) > maxValue || !utf8.ValidString(v) {
				t.Fatalf("bad value %q from %q", v, data)
			}
			for _, r := range v {
				if unicode.IsControl(r) {
					t.Fatalf("control character in %q", v)
				}
			}
		}
	})
}
