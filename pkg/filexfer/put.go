package filexfer

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrDenied marks an upload the user's own rights refuse (the directory
// is not theirs to write, or no longer reachable by them).
var ErrDenied = errors.New("permission denied")

// PutVerb is the hidden verb of the webssh binary that runs Put: webssh
// starts it with the logged-in user's uid, gid and groups.
const PutVerb = "transfer-put"

// Target is where an upload goes: the directory (by path and by identity:
// the path must still lead to the directory the server saw) and the
// umask the file is created with.
type Target struct {
	Dir      string
	Dev, Ino uint64
	Umask    uint32
}

// PutArgs returns the helper's arguments after the verb.
func PutArgs(t Target, uid uint32, size int64, name string) []string {
	return []string{t.Dir, strconv.FormatUint(t.Dev, 10), strconv.FormatUint(t.Ino, 10),
		strconv.FormatUint(uint64(t.Umask), 8), strconv.FormatUint(uint64(uid), 10),
		strconv.FormatInt(size, 10), name}
}

// Exit statuses of the helper.
const (
	putFailed = 1
	putDenied = 3
	putUsage  = 2
)

// ExitDenied is the helper's status when the user's rights refused the
// write (ErrDenied).
const ExitDenied = putDenied

// RunPut is the helper: args as PutArgs makes them, the file's bytes on
// stdin; it prints the name the file got and returns 0, or prints why not
// on stderr and returns ExitDenied or another non-zero status. It refuses
// to run as any uid but the one it was told, so a helper that was not
// started with the user's credentials writes nothing.
func RunPut(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 7 {
		fmt.Fprintln(stderr, "usage: webssh "+PutVerb+" DIR DEV INO UMASK UID SIZE NAME")
		return putUsage
	}
	var t Target
	var nums [5]uint64
	for i, base := range []int{10, 10, 8, 10, 10} {
		n, err := strconv.ParseUint(args[i+1], base, 64)
		if err != nil {
			fmt.Fprintf(stderr, "%s: argument %d: %v\n", PutVerb, i+2, err)
			return putUsage
		}
		nums[i] = n
	}
	t.Dir, t.Dev, t.Ino, t.Umask = args[0], nums[0], nums[1], uint32(nums[2]&0o777)
	if uint64(os.Getuid()) != nums[3] || uint64(os.Geteuid()) != nums[3] {
		fmt.Fprintf(stderr, "%s: running as uid %d, not %d\n", PutVerb, os.Geteuid(), nums[3])
		return putFailed
	}
	name, err := Put(t, CleanName(args[6]), int64(nums[4]), stdin)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if errors.Is(err, ErrDenied) {
			return putDenied
		}
		return putFailed
	}
	fmt.Fprintln(stdout, name)
	return 0
}

// Put writes size bytes from r into a new file in t.Dir named name, or
// name (1), name (2)... when taken, and returns the name it got. The
// bytes go to a temporary file first (opened with O_NOFOLLOW and
// O_EXCL, in the same directory), synced, then renamed without replacing
// anything; on any failure the temporary file is removed. Run it with the
// user's credentials: every check is the kernel's.
func Put(t Target, name string, size int64, r io.Reader) (string, error) {
	if name != CleanName(name) {
		return "", fmt.Errorf("upload: %q is not a plain file name", name)
	}
	dfd, err := unix.Open(t.Dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", denied(fmt.Sprintf("cannot open %s", t.Dir), err)
	}
	defer unix.Close(dfd)
	var st unix.Stat_t
	if err := unix.Fstat(dfd, &st); err != nil {
		return "", fmt.Errorf("upload: %s: %w", t.Dir, err)
	}
	if st.Dev != t.Dev || st.Ino != t.Ino {
		return "", fmt.Errorf("upload: %s is no longer the shell's directory", t.Dir)
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	tmp := ".webssh-upload-" + hex.EncodeToString(rnd[:])
	unix.Umask(int(t.Umask))
	fd, err := unix.Openat(dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o666)
	if err != nil {
		return "", denied(fmt.Sprintf("cannot write in %s", t.Dir), err)
	}
	f := os.NewFile(uintptr(fd), tmp)
	done := false
	defer func() {
		if !done {
			f.Close()
			_ = unix.Unlinkat(dfd, tmp, 0)
		}
	}()
	n, err := io.Copy(f, io.LimitReader(r, size+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("upload: writing %s: %w", name, err)
	case n < size:
		return "", fmt.Errorf("upload of %s cut short after %d of %d bytes", name, n, size)
	case n > size:
		return "", fmt.Errorf("upload of %s: more than the %d bytes announced", name, size)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("upload: writing %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("upload: writing %s: %w", name, err)
	}
	for i := 0; i < 1000; i++ {
		final := Numbered(name, i)
		err := noReplace(dfd, tmp, final)
		if errors.Is(err, unix.EEXIST) {
			continue
		}
		if err != nil {
			return "", denied(fmt.Sprintf("cannot name the file %s in %s", final, t.Dir), err)
		}
		done = true
		_ = unix.Fsync(dfd)
		return final, nil
	}
	return "", fmt.Errorf("upload: %s and 999 numbered names are taken in %s", name, t.Dir)
}

// noReplace renames old to new in dir unless new exists (EEXIST): with
// renameat2's RENAME_NOREPLACE, or, on file systems without it, a hard
// link and the removal of old.
func noReplace(dfd int, old, new string) error {
	err := unix.Renameat2(dfd, old, dfd, new, unix.RENAME_NOREPLACE)
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) {
		return err
	}
	if err := unix.Linkat(dfd, old, dfd, new, 0); err != nil {
		return err
	}
	_ = unix.Unlinkat(dfd, old, 0)
	return nil
}

// denied wraps err; a refusal by the user's rights is also ErrDenied.
func denied(what string, err error) error {
	if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EROFS) {
		return fmt.Errorf("%s: %w", what, ErrDenied)
	}
	return fmt.Errorf("%s: %w", what, err)
}
