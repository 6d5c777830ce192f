package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// Root is a directory tree edited as if it were "/": every path given to
// its methods is relative to the tree, and symbolic links in it are
// followed as a chroot would follow them — an absolute link starts again
// at the tree's top, ".." stops there — so no method reads or writes
// outside the tree, whatever links an image holds. Resolution is done
// step by step with Lstat/Readlink on an os.Root, and every operation
// then goes through that os.Root, which refuses a path that would leave
// the tree even if a link is swapped in between.
type Root struct {
	r   *os.Root
	dir string
}

// OpenRoot opens dir as a Root.
func OpenRoot(dir string) (*Root, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open root: %w", err)
	}
	return &Root{r: r, dir: dir}, nil
}

// Close releases the tree's directory handle.
func (r *Root) Close() error { return r.r.Close() }

// Path names rel for messages: the tree's directory joined with rel.
func (r *Root) Path(rel string) string { return filepath.Join(r.dir, rel) }

// OS returns the os.Root under r, for operations on paths that Resolve
// returned.
func (r *Root) OS() *os.Root { return r.r }

// maxLinks bounds the links followed in one resolution, as the kernel's
// 40 (ELOOP).
const maxLinks = 40

// Resolve returns rel with every symbolic link followed inside the tree,
// the last component's included: a clean relative path ("." for the top)
// that holds no link in the part that exists. Components that do not
// exist are kept as written.
func (r *Root) Resolve(rel string) (string, error) { return r.resolve(rel, true) }

// ResolveParent is Resolve for every component but the last, which is
// kept as written (a link there is not followed).
func (r *Root) ResolveParent(rel string) (string, error) { return r.resolve(rel, false) }

func (r *Root) resolve(rel string, followLast bool) (string, error) {
	todo := components(rel)
	var done []string
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		cur := path.Join(append(done, c)...)
		if len(todo) == 0 && !followLast {
			done = append(done, c)
			break
		}
		st, err := r.r.Lstat(cur)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			done = append(done, c)
			continue
		case err != nil:
			return "", fmt.Errorf("resolve %s in %s: %w", rel, r.dir, err)
		case st.Mode()&fs.ModeSymlink == 0:
			done = append(done, c)
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("resolve %s in %s: %w", rel, r.dir, syscall.ELOOP)
		}
		target, err := r.r.Readlink(cur)
		if err != nil {
			return "", fmt.Errorf("resolve %s in %s: %w", rel, r.dir, err)
		}
		if strings.HasPrefix(target, "/") {
			done = done[:0]
		}
		todo = append(components(target), todo...)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return path.Join(done...), nil
}

func components(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// Write is the package's Write for rel inside the tree: the directories
// on the way are resolved inside the tree, and the file itself must be a
// regular file or missing (a link there is refused, not followed).
func (r *Root) Write(rel string, data []byte, o Options) (Result, error) {
	res, err := r.ResolveParent(rel)
	if err != nil {
		return Unchanged, err
	}
	dir, base := path.Split(res)
	if dir == "" {
		dir = "."
	}
	return write(r.r, path.Clean(dir), base, r.Path(rel), data, o)
}

// WouldChange reports what Write would do with rel and data, writing
// nothing.
func (r *Root) WouldChange(rel string, data []byte) (Result, error) {
	res, err := r.ResolveParent(rel)
	if err != nil {
		return Unchanged, err
	}
	st, err := r.r.Lstat(res)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Changed, nil
	case err != nil:
		return Unchanged, err
	case !st.Mode().IsRegular():
		return Unchanged, fmt.Errorf("replace %s: not a regular file", r.Path(rel))
	}
	old, err := r.r.ReadFile(res)
	if err != nil {
		return Unchanged, err
	}
	if bytes.Equal(old, data) {
		return Unchanged, nil
	}
	return Changed, nil
}

// ReadFile reads rel, links followed inside the tree.
func (r *Root) ReadFile(rel string) ([]byte, error) {
	res, err := r.Resolve(rel)
	if err != nil {
		return nil, err
	}
	b, err := r.r.ReadFile(res)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", r.Path(rel), unwrapPath(err))
	}
	return b, nil
}

// RemoveStale is the package's RemoveStale for rel inside the tree.
func (r *Root) RemoveStale(rel string) {
	res, err := r.ResolveParent(rel)
	if err != nil {
		return
	}
	dir, base := path.Split(res)
	if dir == "" {
		dir = "."
	}
	removeStale(r.r, path.Clean(dir), base)
}

// unwrapPath drops the *PathError's own (root-relative) path, so a
// message names the file once, by its full name.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
