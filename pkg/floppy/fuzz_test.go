package floppy

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/luoyun/osmanager/internal/floppytest"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzReadImage")

// zeroPadded reads data and then zeros up to size, so that a short fuzz
// input stands for a whole image whose tail is empty.
type zeroPadded struct {
	data []byte
	size int64
}

func (z zeroPadded) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= z.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), z.size-off))
	c := 0
	if off < int64(len(z.data)) {
		c = copy(p[:n], z.data[off:])
	}
	clear(p[c:n])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// FuzzReadImage: no input may make the reader panic, hang or return more
// than the recorded size.
func FuzzReadImage(f *testing.F) {
	for _, n := range []int{100, 600} {
		img, _ := Make(floppytest.Ini(n))
		f.Add(bytes.TrimRight(img, "\x00"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range []struct {
			r    io.ReaderAt
			size int64
		}{
			{bytes.NewReader(data), int64(len(data))},
			{zeroPadded{data, ImageSize}, ImageSize},
		} {
			got, info, err := ReadImage(r.r, r.size)
			if err != nil {
				continue
			}
			if int64(len(got)) != info.Size {
				t.Fatalf("ReadImage returned %d bytes, directory says %d", len(got), info.Size)
			}
		}
	})
}

// TestWriteFuzzSeeds rewrites the committed seeds with -update-seeds.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-seeds to rewrite testdata/fuzz/FuzzReadImage")
	}
	seeds := map[string][]byte{}
	for _, n := range []int{0, 2500} {
		img, err := Make(floppytest.Ini(n))
		if err != nil {
			t.Fatal(err)
		}
		seeds[fmt.Sprintf("computenode_%d", n)] = bytes.TrimRight(img, "\x00")
	}
	img, _ := Make(floppytest.Ini(700))
	img[0x200+6] = 0 // FAT12 entry of cluster 4 cut: invalid chain
	seeds["computenode_badchain"] = bytes.TrimRight(img, "\x00")
	mk := floppytest.MkfsImage(t, floppytest.File{Name: "LUOYUN.INI", Data: floppytest.Ini(1200)})
	raw, err := os.ReadFile(mk)
	if err != nil {
		t.Fatal(err)
	}
	seeds["mkfs_fat12"] = bytes.TrimRight(raw, "\x00")
	seeds["truncated"] = raw[:0x2000]
	seeds["empty"] = []byte{}
	dir := filepath.Join("testdata", "fuzz", "FuzzReadImage")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
