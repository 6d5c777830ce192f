// Package atomicfile replaces a file's content all at once: a reader sees
// the old content or the new, never a part, and a crash leaves one or the
// other. The replaced file keeps its mode, owner and group; identical
// content is not written at all.
package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
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
}

// WriteFile replaces path with data, keeping an existing file's mode, owner
// and group, and creating a new one with mode 0600.
func WriteFile(path string, data []byte) (Result, error) {
	return Write(path, data, Options{Mode: 0o600})
}

// Write replaces path with data: a temp file in the same directory is
// written, given the mode and owner, synced, renamed over path, and the
// directory synced. A target that exists but is not a regular file is
// refused. On any error the temp file is removed and path is untouched.
// Temp files of this path left by a process killed mid-write (older than
// StaleAfter) are removed.
func Write(path string, data []byte, o Options) (res Result, err error) {
	defer removeStale(path, time.Now().Add(-StaleAfter))
	if o.Mode == 0 {
		o.Mode = 0o600
	}
	mode, uid, gid := o.Mode.Perm(), -1, -1
	if o.SetOwner {
		uid, gid = o.UID, o.GID
	}
	st, err := os.Lstat(path)
	switch {
	case err == nil:
		if !st.Mode().IsRegular() {
			return Unchanged, fmt.Errorf("replace %s: not a regular file", path)
		}
		if old, rerr := os.ReadFile(path); rerr == nil && bytes.Equal(old, data) {
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
		return Unchanged, fmt.Errorf("replace %s: %w", path, err)
	}

	dir, base := split(path)
	tmp, err := os.CreateTemp(dir, tempPrefix(base)+"*")
	if err != nil {
		return Unchanged, fmt.Errorf("replace %s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	// CreateTemp makes the file 0600, so the content is never readable by
	// others, even before the chmod below.
	if _, err = tmp.Write(data); err != nil {
		return Unchanged, fmt.Errorf("replace %s: write: %w", path, err)
	}
	if uid >= 0 || gid >= 0 {
		if err = tmp.Chown(uid, gid); err != nil {
			return Unchanged, fmt.Errorf("replace %s: chown: %w", path, err)
		}
	}
	if err = tmp.Chmod(mode); err != nil {
		return Unchanged, fmt.Errorf("replace %s: chmod: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return Unchanged, fmt.Errorf("replace %s: sync: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return Unchanged, fmt.Errorf("replace %s: close: %w", path, err)
	}
	if err = os.Rename(tmpName, path); err != nil {
		return Unchanged, fmt.Errorf("replace %s: %w", path, err)
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return Changed, nil
}

// StaleAfter is the age from which a temp file left beside a target is
// taken for the remains of a killed writer.
const StaleAfter = 10 * time.Minute

func split(path string) (dir, base string) {
	dir, base = filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	return dir, base
}

// tempPrefix starts the name of every temp file for base; os.CreateTemp
// completes it with digits.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// removeStale removes path's temp files (".NAME.tmp-DIGITS", regular)
// last modified before cutoff. It is best effort: the write has already
// succeeded or failed on its own.
func removeStale(path string, cutoff time.Time) {
	dir, base := split(path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(base)
	for _, e := range ents {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || rest == "" || strings.Trim(rest, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().Before(cutoff) {
			_ = os.Remove(filepath.Join(dir, name))
		}
	}
}
