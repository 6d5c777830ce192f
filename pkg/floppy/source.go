package floppy

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// MaxImageSize bounds the image or device the reader accepts; the largest
// floppy format is 2.88 MB.
const MaxImageSize = 64 << 20

// ReadSource reads luoyun.ini from path: a block device or image file
// (read as a FAT volume, never mounted) or a directory where a floppy is
// mounted (the file name matched in any letter case). Nothing that could
// block is opened: a source is opened O_NONBLOCK (luoyun.ini in a
// directory also O_NOFOLLOW) and its type checked on the open file before
// a byte is read, so a FIFO, socket or character device is refused at
// once, also one put in place after a first look.
func ReadSource(path string) ([]byte, *Info, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if st.IsDir() {
		return readDir(path)
	}
	f, st, err := openChecked(path, 0, blockOK)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	// Stat reports 0 for a block device; seeking to the end gives its size.
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: size: %w", path, err)
	}
	if size > MaxImageSize {
		return nil, nil, fmt.Errorf("%s: %d bytes is too large for a floppy", path, size)
	}
	data, info, err := ReadImage(f, size)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, info, nil
}

// blockOK lets openChecked take a block device besides a regular file.
const blockOK = true

// openChecked opens path read-only without blocking (O_NONBLOCK, plus
// flags) and returns it when it is a regular file, or a block device when
// block is set; anything else is closed and refused in one line.
func openChecked(path string, flags int, block bool) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|flags, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, nil, fmt.Errorf("%s: a symbolic link; refused", path)
		}
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	mode := st.Mode()
	if mode.IsRegular() {
		return f, st, nil
	}
	if block && mode&os.ModeDevice != 0 && mode&os.ModeCharDevice == 0 {
		// The same device opened again without O_NONBLOCK, through the
		// open file (no second lookup of path): the floppy driver skips
		// its media check on a non-blocking open, and then reads fail.
		defer f.Close()
		dev, err := os.Open(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		return dev, st, nil
	}
	f.Close()
	if block {
		return nil, nil, fmt.Errorf("%s: not a block device, image file or directory (%s); refused", path, kind(mode))
	}
	return nil, nil, fmt.Errorf("%s: not a regular file (%s); refused", path, kind(mode))
}

// kind names a file type for an error message.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a directory"
	}
	return "type " + m.Type().String()
}

func readDir(dir string) ([]byte, *Info, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range ents {
		if !strings.EqualFold(e.Name(), FileName) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		f, _, err := openChecked(p, syscall.O_NOFOLLOW, false)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		if len(data) > MaxFileSize {
			return nil, nil, fmt.Errorf("%s: larger than %d bytes", p, MaxFileSize)
		}
		return data, &Info{Name: e.Name(), Size: int64(len(data)), Method: Directory}, nil
	}
	return nil, nil, fmt.Errorf("%s: %w", dir, ErrNotFound)
}
