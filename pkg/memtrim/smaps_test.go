package memtrim

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSmaps(t *testing.T) {
	b, err := os.ReadFile("testdata/web.smaps")
	if err != nil {
		t.Fatal(err)
	}
	got := ParseSmaps(b)
	const web = "/LuoYun/bin/web (deleted)"
	want := []Mapping{
		{Start: 0x400000, End: 0x78e000, Perms: "r-xp", Major: 0xfe, Inode: 247785, Path: web, Rss: 3400, Pss: 1133},
		{Start: 0x78e000, End: 0xb92000, Perms: "r--p", Offset: 0x38e000, Major: 0xfe, Inode: 247785, Path: web, Rss: 3320, Pss: 1106},
		{Start: 0xb92000, End: 0xbb2000, Perms: "rw-p", Offset: 0x792000, Major: 0xfe, Inode: 247785, Path: web, Rss: 104, Pss: 104, Anonymous: 40},
		{Start: 0xbb2000, End: 0xbe0000, Perms: "rw-p", Rss: 60, Pss: 60, Anonymous: 60},
		{Start: 0xbe0000, End: 0xbe1000, Perms: "r--p", Offset: 0x7d2000, Major: 0xfe, Inode: 247785, Path: web, Rss: 4, Pss: 4, Anonymous: 4},
		{Start: 0xc00000, End: 0xc01000, Perms: "r--p", Major: 0xfe, Minor: 1, Inode: 247785, Path: "/other/dev/same/inode", Rss: 4},
		{Start: 0x7f0000000000, End: 0x7f0000001000, Perms: "r--p", Major: 0xfe, Inode: 999, Path: "/LuoYun/bin/web", Rss: 4},
		{Start: 0x7ffd1a2b3000, End: 0x7ffd1a2d4000, Perms: "rw-p", Path: "[stack]", Rss: 16, Pss: 16, Anonymous: 16},
		{Start: 0xffffffffff600000, End: 0xffffffffff601000, Perms: "--xp", Path: "[vsyscall]"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ParseSmaps(testdata/web.smaps) (-want +got):\n%s", d)
	}
}

func TestParseSmapsOddLines(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       []Mapping
	}{
		{"size before any mapping", "Rss: 4 kB\n", nil},
		{"end below start", "2000-1000 r--p 0 fe:00 1 /a\n", nil},
		{"bad perms", "1000-2000 rwzp 0 fe:00 1 /a\n1000-2000 r-x 0 fe:00 1 /a\n", nil},
		{"bad device", "1000-2000 r--p 0 fe00 1 /a\n1000-2000 r--p 0 fe:zz 1 /a\n", nil},
		{"bad inode", "1000-2000 r--p 0 fe:00 -1 /a\n", nil},
		{"no inode", "1000-2000 r--p 0 fe:00\n", nil},
		{"path with spaces", "1000-2000 r--p 0 fe:00 7   /a b  c (deleted)\nRss: x kB\nPss: -4 kB\nAnonymous: 4 MB\n",
			[]Mapping{{Start: 0x1000, End: 0x2000, Perms: "r--p", Major: 0xfe, Inode: 7, Path: "/a b  c (deleted)"}}},
		{"maps without sizes, tabs, no newline at the end", "1000-2000\tr-xp\t10\t08:01\t3\t/bin/x",
			[]Mapping{{Start: 0x1000, End: 0x2000, Perms: "r-xp", Offset: 0x10, Major: 8, Minor: 1, Inode: 3, Path: "/bin/x"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, ParseSmaps([]byte(tt.text))); d != "" {
				t.Errorf("ParseSmaps(%q) (-want +got):\n%s", tt.text, d)
			}
		})
	}
}

func TestExeReadOnly(t *testing.T) {
	b, err := os.ReadFile("testdata/web.smaps")
	if err != nil {
		t.Fatal(err)
	}
	got := ExeReadOnly(ParseSmaps(b), File{Major: 0xfe, Minor: 0, Inode: 247785})
	// The text and the read-only data of the renamed binary; not its
	// data (writable), not the read-only page with a private copy (a
	// relocation), not the same inode on another device, not another
	// file of the same name.
	var starts []uint64
	for _, m := range got {
		starts = append(starts, m.Start)
	}
	if d := cmp.Diff([]uint64{0x400000, 0x78e000}, starts); d != "" {
		t.Errorf("ExeReadOnly: mappings by start (-want +got):\n%s", d)
	}
}

func FuzzParseSmaps(f *testing.F) {
	if b, err := os.ReadFile("testdata/web.smaps"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("1000-2000 r--p 0 fe:00 7 /a b (deleted)\nRss: 4 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, m := range ParseSmaps(b) {
			if m.End < m.Start || len(m.Perms) != 4 || m.Rss < 0 || m.Pss < 0 || m.Anonymous < 0 {
				t.Errorf("ParseSmaps(%q) gave %+v", b, m)
			}
		}
	})
}
