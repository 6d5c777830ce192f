package install

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/luoyun/osmanager/pkg/atomicfile"
)

// target is a system root seen as the system under it sees itself: every
// path is absolute inside it, and links are followed as a chroot would.
type target struct {
	*atomicfile.Root
}

// rel turns an absolute path of the target into a path for Root.
func rel(p string) string {
	if r := strings.TrimLeft(path.Clean("/"+p), "/"); r != "" {
		return r
	}
	return "."
}

// entry resolves p inside the target, its last component kept as written
// (the entry itself, never what a link there points at).
func (t target) entry(p string) (string, error) { return t.ResolveParent(rel(p)) }

// lstat stats the entry p itself.
func (t target) lstat(p string) (fs.FileInfo, error) {
	res, err := t.entry(p)
	if err != nil {
		return nil, err
	}
	return t.OS().Lstat(res)
}

// exists reports whether the entry p is there, of any type.
func (t target) exists(p string) bool {
	_, err := t.lstat(p)
	return err == nil
}

// readlink returns the target of the link p, or "" when p is no link.
func (t target) readlink(p string) string {
	st, err := t.lstat(p)
	if err != nil || st.Mode()&fs.ModeSymlink == 0 {
		return ""
	}
	res, _ := t.entry(p)
	l, _ := t.OS().Readlink(res)
	return l
}

// regular returns the content of p when it is a regular file.
func (t target) regular(p string) ([]byte, bool) {
	st, err := t.lstat(p)
	if err != nil || !st.Mode().IsRegular() {
		return nil, false
	}
	res, _ := t.entry(p)
	b, err := t.OS().ReadFile(res)
	return b, err == nil
}

// dir returns p, links followed, when it is a directory.
func (t target) dir(p string) (string, bool) {
	res, err := t.Resolve(rel(p))
	if err != nil {
		return "", false
	}
	st, err := t.OS().Stat(res)
	return res, err == nil && st.IsDir()
}

// executable reports whether p, links followed, is an executable file.
func (t target) executable(p string) bool {
	res, err := t.Resolve(rel(p))
	if err != nil {
		return false
	}
	st, err := t.OS().Stat(res)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// emptyDir reports whether p, links followed, is a directory holding nothing.
func (t target) emptyDir(p string) (string, bool) {
	res, ok := t.dir(p)
	if !ok {
		return "", false
	}
	d, err := t.OS().Open(res)
	if err != nil {
		return "", false
	}
	defer d.Close()
	names, err := d.Readdirnames(1)
	return res, len(names) == 0 && errors.Is(err, io.EOF)
}

// remove removes the entry p itself.
func (t target) remove(p string) error {
	res, err := t.entry(p)
	if err != nil {
		return err
	}
	if err := t.OS().Remove(res); err != nil {
		return fmt.Errorf("remove %s: %w", t.Path(res), unwrap(err))
	}
	return nil
}

// symlink makes p a link to to, replacing what p is, in one rename.
func (t target) symlink(to, p string) error {
	res, err := t.entry(p)
	if err != nil {
		return err
	}
	dir, base := path.Split(res)
	tmp := path.Join(dir, "."+base+".luoyun-tmp")
	_ = t.OS().Remove(tmp)
	if err := t.OS().Symlink(to, tmp); err != nil {
		return fmt.Errorf("create %s: %w", t.Path(res), unwrap(err))
	}
	if err := t.OS().Rename(tmp, res); err != nil {
		_ = t.OS().Remove(tmp)
		return fmt.Errorf("create %s: %w", t.Path(res), unwrap(err))
	}
	return nil
}

// parents lists the directories above p, the top one first ("/" excluded).
func parents(p string) []string {
	var out []string
	for d := path.Dir(p); d != "/" && d != "."; d = path.Dir(d) {
		out = append(out, d)
	}
	slices.Reverse(out)
	return out
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
