package treeswitch

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"
)

// copyTree copies p of from to q of to: directories with their mode,
// owner and times, links as links, files byte for byte. With link set
// (from and to the same root) files are hard links to the originals,
// copied only where the file system refuses a link.
func copyTree(from *os.Root, p string, to *os.Root, q string, link bool) error {
	st, err := from.Lstat(p)
	if err != nil {
		return err
	}
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		l, err := from.Readlink(p)
		if err != nil {
			return err
		}
		if err := to.Symlink(l, q); err != nil {
			return err
		}
	case st.IsDir():
		if link && p != "." {
			if up, err := from.Lstat(path.Dir(p)); err != nil {
				return err
			} else if err := sameDevice(from, p, up); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		if err := to.Mkdir(q, 0o700); err != nil {
			return err
		}
		names, err := readNames(from, p)
		if err != nil {
			return err
		}
		for _, n := range names {
			if err := copyTree(from, path.Join(p, n), to, path.Join(q, n), link); err != nil {
				return err
			}
		}
	case link && to.Link(p, q) == nil:
		return nil // same inode: mode, owner and times are the original's
	case st.Mode().IsRegular():
		if err := copyFile(from, p, to, q); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%s: cannot copy a %v", p, st.Mode().Type())
	}
	return keepAttrs(to, q, st)
}

func copyFile(from *os.Root, p string, to *os.Root, q string) error {
	src, err := from.Open(p)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := to.OpenFile(q, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// keepAttrs gives q the owner, mode and times st describes.
func keepAttrs(r *os.Root, q string, st fs.FileInfo) error {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 {
		if err := r.Lchown(q, int(sys.Uid), int(sys.Gid)); err != nil {
			return err
		}
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		return nil
	}
	if err := r.Chmod(q, st.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return err
	}
	return r.Chtimes(q, time.Time{}, st.ModTime())
}

// signature describes p and everything under it (type, mode, content,
// link target) to tell whether two trees are the same; "" when p is
// missing.
func signature(r *os.Root, p string) (string, error) {
	h := sha256.New()
	var walk func(p, name string) error
	walk = func(p, name string) error {
		st, err := r.Lstat(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%v\x00", name, st.Mode())
		switch {
		case st.Mode()&fs.ModeSymlink != 0:
			l, err := r.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s\x00", l)
		case st.IsDir():
			d, err := r.Open(p)
			if err != nil {
				return err
			}
			ents, err := d.ReadDir(-1)
			d.Close()
			if err != nil {
				return err
			}
			slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
			for _, e := range ents {
				if err := walk(path.Join(p, e.Name()), name+"/"+e.Name()); err != nil {
					return err
				}
			}
		case st.Mode().IsRegular():
			f, err := r.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(p, "."); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, lerr := r.Lstat(p); errors.Is(lerr, fs.ErrNotExist) {
				return "", nil
			}
		}
		return "", err
	}
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}

// readNames returns the names in the directory p, sorted.
func readNames(r *os.Root, p string) ([]string, error) {
	d, err := r.Open(p)
	if err != nil {
		return nil, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	slices.Sort(names)
	return names, err
}
