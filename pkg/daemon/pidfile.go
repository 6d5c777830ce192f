package daemon

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/luoyun/osmanager/pkg/procinfo"
)

// IDSuffix is added to a pid file's path for its identity file:
// run/web.pid holds the bare pid (others read it), run/web.pid.id what
// identifies the process.
const IDSuffix = ".id"

// ErrNotRunning is returned by Find when there is no pid file.
var ErrNotRunning = errors.New("not running")

// StaleError is returned by Find when the pid file does not name our
// process: the process is gone, or another one has its pid.
type StaleError struct {
	// PID is the pid the file names (0 when it names none).
	PID int
	// Why says what did not match.
	Why string
}

func (e *StaleError) Error() string {
	if e.PID == 0 {
		return "stale pid file: " + e.Why
	}
	return fmt.Sprintf("stale pid file: pid %d %s", e.PID, e.Why)
}

// WritePidfile records the calling process in path (its pid) and beside
// it (its identity), each file replaced whole.
func WritePidfile(path string) error { return Record(procinfo.Root, path, os.Getpid()) }

// Record records pid (proc file system at root) in the pid file path and
// its identity file.
func Record(root, path string, pid int) error {
	id, err := Of(root, pid)
	if err != nil {
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	if err := replace(path+IDSuffix, id.String()+"\n"); err != nil {
		return err
	}
	return replace(path, strconv.Itoa(pid)+"\n")
}

// replace writes data to a temp file beside path and renames it over
// path, so that a reader never sees half a file. Not synced: a pid file
// only matters while this boot lasts.
func replace(path, data string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("pid file: %w", err)
	}
	return nil
}

// RemovePidfile removes path and its identity file.
func RemovePidfile(path string) {
	os.Remove(path)
	os.Remove(path + IDSuffix)
}

// RemoveOwnPidfile removes path and its identity file when path still
// names the calling process (a newer start may have replaced it).
func RemoveOwnPidfile(path string) {
	if pid, err := readPid(path); err == nil && pid == os.Getpid() {
		RemovePidfile(path)
	}
}

// Find returns the pid of our process that the pid file at path names
// (proc file system at root). Without a pid file it returns
// ErrNotRunning; when the file names no process of ours, a *StaleError.
// It never acts on the process.
func Find(root, path string) (int, error) {
	pid, err := readPid(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, ErrNotRunning
	}
	if err != nil {
		return 0, &StaleError{Why: err.Error()}
	}
	data, err := os.ReadFile(path + IDSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		return findUnrecorded(root, path, pid)
	}
	if err != nil {
		return 0, &StaleError{PID: pid, Why: "has no identity (" + path + IDSuffix + ")"}
	}
	want, err := ParseIdentity(data)
	if err != nil {
		return 0, &StaleError{PID: pid, Why: path + IDSuffix + ": " + err.Error()}
	}
	if !procinfo.Alive(root, pid) {
		return 0, &StaleError{PID: pid, Why: "is not running"}
	}
	got, err := Of(root, pid)
	if err != nil {
		return 0, &StaleError{PID: pid, Why: "cannot be identified: " + err.Error()}
	}
	if !got.Same(want) {
		return 0, &StaleError{PID: pid, Why: fmt.Sprintf("is another process (%s), not the one started from %s", got.Exe, want.Exe)}
	}
	return pid, nil
}

// readPid reads a bare pid.
func readPid(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	p, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || p < 1 {
		return 0, fmt.Errorf("%s holds no pid", path)
	}
	return p, nil
}

// findUnrecorded judges a pid file written before identities were
// recorded (a tree upgraded while its daemons ran): the process is ours
// only when it runs a binary of this tree named for the pid file, TREE/bin/NAME
// or, once an upgrade moved it, TREE/backup-*/bin/NAME (" (deleted)" when
// replaced), TREE being the pid file's run/ directory's parent; the one
// binary (bin/luoyun) counts when its argv[0] names NAME.
func findUnrecorded(root, path string, pid int) (int, error) {
	stale := &StaleError{PID: pid, Why: "has no identity (" + path + IDSuffix + ") and does not run this tree's binary"}
	if !procinfo.Alive(root, pid) {
		return 0, &StaleError{PID: pid, Why: "is not running"}
	}
	exe, err := os.Readlink(filepath.Join(root, strconv.Itoa(pid), "exe"))
	if err != nil {
		return 0, stale
	}
	if !TreeBinary(filepath.Dir(filepath.Dir(path)), strings.TrimSuffix(filepath.Base(path), ".pid"), exe, procinfo.Cmdline(root, pid)) {
		return 0, stale
	}
	return pid, nil
}

// TreeBinary reports whether a process whose /proc/PID/exe reads exe and
// whose argv is argv runs the daemon name from the tree at tree: its
// bin/NAME (or bin/luoyun called as NAME), there or in one of the tree's
// backup-* directories.
func TreeBinary(tree, name, exe string, argv []string) bool {
	exe = strings.TrimSuffix(exe, " (deleted)")
	bin, base := filepath.Split(exe)
	bin = filepath.Clean(bin)
	if filepath.Base(bin) != "bin" {
		return false
	}
	switch parent := filepath.Dir(bin); {
	case parent == filepath.Clean(tree):
	case filepath.Dir(parent) == filepath.Clean(tree) && strings.HasPrefix(filepath.Base(parent), "backup-"):
	default:
		return false
	}
	if base == name {
		return true
	}
	return base == "luoyun" && len(argv) > 0 && filepath.Base(argv[0]) == name
}
