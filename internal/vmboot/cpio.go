package vmboot

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// CPIO writes an archive in the "newc" format (magic 070701), the format
// the kernel unpacks as an initramfs. Entries are written in the order the
// methods are called; a directory must be added before what it holds.
type CPIO struct {
	w      io.Writer
	ino    uint32
	off    int64
	closed bool
	err    error
}

// Mode bits of the newc header's mode field.
const (
	modeDir     = 0o040000
	modeFile    = 0o100000
	modeSymlink = 0o120000
	modeChar    = 0o020000
)

// NewCPIO returns a writer of a newc archive to w. Close writes the trailer.
func NewCPIO(w io.Writer) *CPIO { return &CPIO{w: w} }

// Dir adds a directory with permission bits perm.
func (c *CPIO) Dir(name string, perm fs.FileMode) error {
	return c.entry(name, modeDir|uint32(perm.Perm()), 2, 0, 0, nil)
}

// File adds a regular file holding data; perm may carry fs.ModeSetuid.
func (c *CPIO) File(name string, perm fs.FileMode, data []byte) error {
	mode := modeFile | uint32(perm.Perm())
	if perm&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	return c.entry(name, mode, 1, 0, 0, data)
}

// Symlink adds a symbolic link name -> target.
func (c *CPIO) Symlink(name, target string) error {
	return c.entry(name, modeSymlink|0o777, 1, 0, 0, []byte(target))
}

// CharDev adds a character device node (for example /dev/console, 5:1,
// which the kernel opens before it starts init).
func (c *CPIO) CharDev(name string, perm fs.FileMode, major, minor uint32) error {
	return c.entry(name, modeChar|uint32(perm.Perm()), 1, major, minor, nil)
}

// Close writes the trailer entry. It does not close the underlying writer.
func (c *CPIO) Close() error {
	if c.closed {
		return c.err
	}
	err := c.entry("TRAILER!!!", 0, 1, 0, 0, nil)
	c.closed = true
	return err
}

func (c *CPIO) entry(name string, mode, nlink, rmaj, rmin uint32, data []byte) error {
	if c.err != nil {
		return c.err
	}
	if c.closed {
		return fmt.Errorf("cpio: write %q after Close", name)
	}
	if name != "TRAILER!!!" {
		name = strings.TrimPrefix(path.Clean("/"+name), "/")
		if name == "" {
			return fmt.Errorf("cpio: empty entry name")
		}
	}
	c.ino++
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		c.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rmaj, rmin, len(name)+1, 0)
	c.write([]byte(hdr))
	c.write([]byte(name))
	c.write([]byte{0})
	c.pad()
	c.write(data)
	c.pad()
	return c.err
}

func (c *CPIO) write(b []byte) {
	if c.err != nil || len(b) == 0 {
		return
	}
	n, err := c.w.Write(b)
	c.off += int64(n)
	if err != nil {
		c.err = fmt.Errorf("cpio: %w", err)
	}
}

// pad aligns the stream to 4 bytes, as newc requires after the name and
// after the data.
func (c *CPIO) pad() {
	if r := c.off % 4; r != 0 {
		c.write(make([]byte, 4-r))
	}
}
