package floppy

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/fat12"

	"github.com/luoyun/osmanager/internal/floppytest"
)

// readWithGoDiskfs reads luoyun.ini with go-diskfs's FAT12 reader,
// turning a panic into an error.
func readWithGoDiskfs(path string) (data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("go-diskfs panicked: %v", r)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	fs, err := fat12.Read(file.New(f, true), st.Size(), 0, 512)
	if err != nil {
		return nil, err
	}
	return fs.ReadFile("/luoyun.ini")
}

// TestAgreesWithGoDiskfs uses go-diskfs as an independent oracle on
// standard mkfs.fat floppies: both readers must return the same bytes.
func TestAgreesWithGoDiskfs(t *testing.T) {
	filler := bytes.Repeat([]byte("f"), 1024)
	for _, n := range []int{100, 513, 2500, 20000} {
		ini := floppytest.Ini(n)
		img := floppytest.MkfsImage(t,
			floppytest.File{Name: "a.txt", Data: filler}, floppytest.File{Name: "b.txt", Data: filler},
			floppytest.File{Name: "b.txt"}, floppytest.File{Name: "luoyun.ini", Data: ini})
		theirs, err := readWithGoDiskfs(img)
		if err != nil {
			t.Fatalf("go-diskfs on a mkfs.fat floppy with %d bytes: %v", n, err)
		}
		ours, _, err := ReadSource(img)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, theirs) || !bytes.Equal(ours, ini) {
			t.Errorf("%d bytes: ours %d bytes, go-diskfs %d bytes, want %d equal", n, len(ours), len(theirs), n)
		}
	}
}

// TestGoDiskfsOnComputeNodeImages records what go-diskfs does with the
// compute nodes' images (the reason this package has its own reader); the
// assertion is on our reader, which must read them all.
func TestGoDiskfsOnComputeNodeImages(t *testing.T) {
	for _, n := range []int{513, 2500, 20000} {
		ini := floppytest.Ini(n)
		img, _ := Make(ini)
		p := t.TempDir() + "/fd0"
		os.WriteFile(p, img, 0o600)
		theirs, err := readWithGoDiskfs(p)
		switch {
		case err != nil:
			t.Logf("go-diskfs, %d-byte ini: %v", n, err)
		case !bytes.Equal(theirs, ini):
			t.Logf("go-diskfs, %d-byte ini: read %d bytes, not the file", n, len(theirs))
		default:
			t.Logf("go-diskfs, %d-byte ini: correct", n)
		}
		ours, _, err := ReadSource(p)
		if err != nil || !bytes.Equal(ours, ini) {
			t.Errorf("our reader, %d-byte ini: %d bytes, %v", n, len(ours), err)
		}
	}
}
