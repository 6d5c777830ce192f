package floppy

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// MaxImageSize bounds the image or device the reader accepts; the largest
// floppy format is 2.88 MB.
const MaxImageSize = 64 << 20

// ReadSource reads luoyun.ini from path: a block device or image file
// (read as a FAT volume, never mounted) or a directory where a floppy is
// mounted (the file name matched in any letter case).
func ReadSource(path string) ([]byte, *Info, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if st.IsDir() {
		return readDir(path)
	}
	if !st.Mode().IsRegular() && st.Mode()&os.ModeDevice == 0 {
		// A FIFO or socket would block the open or the read forever.
		return nil, nil, fmt.Errorf("%s: not a block device, image file or directory", path)
	}
	f, err := os.Open(path)
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
		f, err := os.Open(p)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return nil, nil, err
		}
		if !st.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("%s: not a regular file", p)
		}
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
