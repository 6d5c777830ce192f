package floppy

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadSourceRefusesSpecialFiles: a luoyun.ini (or a device path) that
// is a FIFO, a character device or a symbolic link is refused in one line
// at once; nothing blocks on it.
func TestReadSourceRefusesSpecialFiles(t *testing.T) {
	mkfifo := func(p string) {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fifoDir := t.TempDir()
	mkfifo(filepath.Join(fifoDir, "LUOYUN.INI"))
	linkDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(linkDir, "target"), []byte("TAG=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("target", filepath.Join(linkDir, FileName)); err != nil {
		t.Fatal(err)
	}
	devDir := t.TempDir()
	if err := syscall.Mknod(filepath.Join(devDir, FileName), syscall.S_IFCHR|0o600, 1<<8|3); err != nil { // /dev/null's 1:3
		t.Logf("no character device in the test (mknod: %v)", err)
		devDir = ""
	}
	fifo := filepath.Join(t.TempDir(), "fd0")
	mkfifo(fifo)
	cases := []struct{ name, path, want string }{
		{"luoyun.ini a FIFO", fifoDir, "not a regular file (a FIFO); refused"},
		{"luoyun.ini a link", linkDir, "a symbolic link; refused"},
		{"device a FIFO", fifo, "not a block device, image file or directory (a FIFO); refused"},
		{"device a character device", "/dev/null", "not a block device, image file or directory (a character device); refused"},
	}
	if devDir != "" {
		cases = append(cases, struct{ name, path, want string }{"luoyun.ini a character device", devDir, "not a regular file (a character device); refused"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, _, err := ReadSource(c.path)
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
					t.Errorf("ReadSource(%s) error = %v, want one line with %q", c.path, err, c.want)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("ReadSource(%s) blocked", c.path)
			}
		})
	}
}
