// Package floppytest makes luoyun.ini texts and FAT images for tests.
package floppytest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Ini returns a parsable luoyun.ini of exactly n bytes (n = 0 gives an
// empty text; n must otherwise be at least 80). The padding inside the
// JSON cookie counts up, so any misplaced or repeated block of bytes
// changes the text.
func Ini(n int) []byte {
	if n == 0 {
		return []byte{}
	}
	head := "CLC_IP=10.0.2.2\nCLC_PORT=1369\nTAG=42\nKEY=2a8f5b0e-6a57-4f3e-9a0c-0d6f77b1e2c4\nJSON={\"cookie\":\""
	tail := "\"}\n"
	pad := n - len(head) - len(tail)
	if pad < 0 {
		panic(fmt.Sprintf("floppytest.Ini(%d): too small", n))
	}
	var b strings.Builder
	for i := 0; b.Len() < pad; i++ {
		fmt.Fprintf(&b, "%06d.", i)
	}
	return []byte(head + b.String()[:pad] + tail)
}

// HaveMtools reports whether mkfs.fat and mcopy are installed; it skips t
// with a message when they are not.
func HaveMtools(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"mkfs.fat", "mcopy"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install dosfstools mtools): %v", tool, err)
		}
	}
}

// MkfsImage makes a 1.44 MB FAT12 floppy image with mkfs.fat and copies
// each file into it with mcopy, in order (name -> content; a nil content
// deletes the name with mdel, to fragment the free space).
func MkfsImage(t testing.TB, files ...File) string {
	t.Helper()
	return MkfsImageWith(t, []string{"1440"}, files...)
}

// MkfsImageWith is MkfsImage with other mkfs.fat arguments, e.g.
// {"-F", "16", "20480"} for a 20 MiB FAT16 volume; the last is the size
// in KiB.
func MkfsImageWith(t testing.TB, mkfsArgs []string, files ...File) string {
	t.Helper()
	HaveMtools(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "floppy.img")
	run(t, "mkfs.fat", append([]string{"-C", img}, mkfsArgs...)...)
	for i, f := range files {
		if f.Data == nil {
			run(t, "mdel", "-i", img, "::"+f.Name)
			continue
		}
		src := filepath.Join(dir, fmt.Sprintf("src%d", i))
		if err := os.WriteFile(src, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, "mcopy", "-i", img, src, "::"+f.Name)
	}
	return img
}

// File is one file for MkfsImage.
type File struct {
	Name string
	Data []byte
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1", "MTOOLS_NO_VFAT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}
