// Package atomicfile replaces a file's content all at once: a reader sees
// the old content or the new, never a part, and a crash leaves one or the
// other. The replaced file keeps its mode, owner and group; identical
// content is not written at all.
//
// Write works on a path of the running system; Root works inside a
// directory tree resolved as a chroot would resolve it (absolute links
// and ".." never leave the tree), for tools that edit an image.
package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Result says what Write did.
type Result int

const (
	// Unchanged means the file already held the content; nothing was written.
	Unchanged Result = iota
	// Changed means the content was replaced (or the file created).
	Changed
)

func (r Result) String() string {
	if r == Changed {
		return "changed"
	}
	return "unchanged"
}

// Options tunes Write.
type Options struct {
	// Mode is used when the file does not exist yet (default 0600: secrets
	// are never world-readable by accident). An existing file keeps its
	// own mode unless ForceMode is set.
	Mode fs.FileMode
	// ForceMode applies Mode even to an existing file.
	ForceMode bool
	// UID and GID own a new file; -1 (or 0 values with SetOwner false)
	// leaves the owner as the process makes it.
	UID, GID int
	// SetOwner applies UID and GID to a new file.
	SetOwner bool
	// ReplaceLink replaces a symbolic link at the path with the file (the
	// link itself, never its target), as for a new file. Without it a
	// link is refused.
	ReplaceLink bool
	// NoSync skips the file's and the directory's fsync: readers still
	// see the old content or the new, but a power cut may leave the file
	// empty. For files that only matter while this boot lasts (run/).
	NoSync bool
}

// Write replaces path with data: a temp file in the same directory is
// written, given the mode and owner, synced, renamed over path, and the
// directory synced. A target that exists but is not a regular file is
// refused. On any error the temp file is removed and path is untouched.
// Temp files of this path left by a writer that died mid-write are
// removed on every call, whether the content changed or not (see
// RemoveStale).
func Write(path string, data []byte, o Options) (Result, error) {
	dir, base := split(path)
	r, err := os.OpenRoot(dir)
	if err != nil {
		return Unchanged, fmt.Errorf("replace %s: %w", path, err)
	}
	defer r.Close()
	return write(r, ".", base, path, data, o)
}

// write replaces dir/base inside r; dir holds no symbolic link (os.Root
// would still refuse one that leaves r). show names the file in errors.
func write(r *os.Root, dir, base, show string, data []byte, o Options) (res Result, err error) {
	defer removeStale(r, dir, base)
	name := path.Join(dir, base)
	if o.Mode == 0 {
		o.Mode = 0o600
	}
	mode, uid, gid := o.Mode.Perm(), -1, -1
	if o.SetOwner {
		uid, gid = o.UID, o.GID
	}
	st, err := r.Lstat(name)
	switch {
	case err == nil && o.ReplaceLink && st.Mode()&fs.ModeSymlink != 0:
		// Replaced like a missing file: the new file gets Mode.
	case err == nil:
		if !st.Mode().IsRegular() {
			return Unchanged, fmt.Errorf("replace %s: not a regular file", show)
		}
		if old, rerr := r.ReadFile(name); rerr == nil && bytes.Equal(old, data) {
			if !o.ForceMode || st.Mode().Perm() == mode {
				return Unchanged, nil
			}
		}
		if !o.ForceMode {
			mode = st.Mode().Perm() | st.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)
		}
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(sys.Uid), int(sys.Gid)
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return Unchanged, fmt.Errorf("replace %s: %w", show, unwrapPath(err))
	}

	tmp, tmpName, err := createTemp(r, dir, base)
	if err != nil {
		return Unchanged, fmt.Errorf("replace %s: create temp file: %w", show, unwrapPath(err))
	}
	// The temp file stays open (and flock'ed) until after the rename, so
	// RemoveStale in another process never takes it for a dead writer's.
	defer tmp.Close()
	defer func() {
		if err != nil {
			_ = r.Remove(tmpName)
		}
	}()
	// createTemp makes the file 0600, so the content is never readable by
	// others, even before the chmod below.
	if _, err = tmp.Write(data); err != nil {
		return Unchanged, fmt.Errorf("replace %s: write: %w", show, err)
	}
	if uid >= 0 || gid >= 0 {
		if err = tmp.Chown(uid, gid); err != nil {
			return Unchanged, fmt.Errorf("replace %s: chown: %w", show, err)
		}
	}
	if err = tmp.Chmod(mode); err != nil {
		return Unchanged, fmt.Errorf("replace %s: chmod: %w", show, err)
	}
	if !o.NoSync {
		if err = tmp.Sync(); err != nil {
			return Unchanged, fmt.Errorf("replace %s: sync: %w", show, err)
		}
	}
	if err = r.Rename(tmpName, name); err != nil {
		return Unchanged, fmt.Errorf("replace %s: rename: %w", show, unwrapPath(err))
	}
	if o.NoSync {
		return Changed, nil
	}
	if d, derr := r.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return Changed, nil
}

// createTemp creates dir/.BASE.tmp-DIGITS exclusively, mode 0600, and
// holds an exclusive flock on it for as long as it is open. Between the
// create and the lock a cleaner (removeStale) may take the file for a
// dead writer's and unlink it; the writer sees that (no link left once it
// holds the lock) and starts again with another name.
//
// The digits come from math/rand/v2 (ChaCha8, seeded by the runtime from
// the kernel), not crypto/rand, which would link the FIPS DRBG, AES-GCM,
// SHA-2/3 and math/big into every command (about 0.4 MB of floppyconf).
// The name needs no secrecy: O_EXCL never opens a file someone else made
// (nor follows a link planted under the name), it only makes us pick
// again, so a guessed or colliding name costs a retry, never a clobbered
// or shared file. Safety rests on O_EXCL and the flock, not on the name.
func createTemp(r *os.Root, dir, base string) (*os.File, string, error) {
	for range 100 {
		name := path.Join(dir, tempPrefix(base)+strconv.FormatUint(uint64(rand.Uint32()), 10))
		f, err := r.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			f.Close()
			_ = r.Remove(name)
			return nil, "", fmt.Errorf("lock temp file: %w", err)
		}
		if linked(f) {
			return f, name, nil
		}
		f.Close() // a cleaner removed it before the lock
	}
	return nil, "", errors.New("no free temp file name")
}

// linked reports whether f still has a name in some directory.
func linked(f *os.File) bool {
	var st unix.Stat_t
	return unix.Fstat(int(f.Fd()), &st) == nil && st.Nlink > 0
}

func split(p string) (dir, base string) {
	dir, base = filepath.Split(p)
	if dir == "" {
		dir = "."
	}
	return dir, base
}

// tempPrefix starts the name of every temp file for base; createTemp
// completes it with digits.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// RemoveStale removes the temp files a writer killed mid-replace left
// beside path (".NAME.tmp-DIGITS", regular, not locked by a live
// writer). Write does this itself on every call; a caller that decides on
// its own that nothing needs writing calls it so that the remains still
// go. It is best effort.
func RemoveStale(path string) {
	dir, base := split(path)
	r, err := os.OpenRoot(dir)
	if err != nil {
		return
	}
	defer r.Close()
	removeStale(r, ".", base)
}

// removeStale removes dir's temp files for base that no live writer
// holds. A writer holds an exclusive flock on its temp file from just
// after creating it until after the rename, and the kernel drops the lock
// with the process, however it dies: a temp file this process can lock is
// a dead writer's (or one whose writer has not locked it yet, which
// createTemp notices and replaces).
func removeStale(r *os.Root, dir, base string) {
	d, err := r.Open(dir)
	if err != nil {
		return
	}
	ents, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return
	}
	prefix := tempPrefix(base)
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || rest == "" || strings.Trim(rest, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		name := path.Join(dir, e.Name())
		f, err := r.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
		if err != nil {
			continue
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && linked(f) {
				_ = r.Remove(name)
			}
		}
		f.Close()
	}
}
