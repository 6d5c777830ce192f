// Package daemon starts, finds and stops the OS manager's daemons (web,
// webssh, osm) without a supervisor in shell: a --background start whose
// parent returns once the child is ready (the daemon(3) readiness pipe),
// pid files whose process is ours only when its identity matches (start
// time and binary, recorded beside the pid file), stop through the same
// check, and systemd's READY=1 on NOTIFY_SOCKET.
package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/luoyun/osmanager/pkg/procinfo"
)

// Identity is what tells our process from another one that got its pid:
// when it started and the binary it started from. The binary is the
// file (device and inode), not its path: a binary an upgrade moved into a
// backup directory, or replaced (its /proc/PID/exe then ends in
// " (deleted)"), is still the same file.
type Identity struct {
	// StartTicks is /proc/PID/stat field 22: the start time in clock
	// ticks after boot.
	StartTicks uint64
	// Dev and Ino name the binary's file.
	Dev, Ino uint64
	// Exe is the binary's path when the process started, for people.
	Exe string
}

// Of reads the identity of pid from the proc file system at root.
func Of(root string, pid int) (Identity, error) {
	st, err := procinfo.ReadStat(root, pid)
	if err != nil {
		return Identity{}, err
	}
	exe := filepath.Join(root, strconv.Itoa(pid), "exe")
	var fi syscall.Stat_t
	if err := syscall.Stat(exe, &fi); err != nil {
		return Identity{}, fmt.Errorf("binary of pid %d: %w", pid, err)
	}
	path, _ := os.Readlink(exe)
	return Identity{StartTicks: st.StartTicks, Dev: uint64(fi.Dev), Ino: fi.Ino, Exe: path}, nil
}

// Self returns the identity of the calling process.
func Self() (Identity, error) { return Of(procinfo.Root, os.Getpid()) }

// Same reports whether id and o name the same process: same start time
// and same binary file. The path does not count.
func (id Identity) Same(o Identity) bool {
	return id.StartTicks == o.StartTicks && id.Dev == o.Dev && id.Ino == o.Ino
}

// String is the identity file's one line:
//
//	start=TICKS dev=DEV ino=INO exe=PATH
func (id Identity) String() string {
	return fmt.Sprintf("start=%d dev=%d ino=%d exe=%s", id.StartTicks, id.Dev, id.Ino, id.Exe)
}

// errIdentity is the sentinel of an unreadable identity line.
var errIdentity = errors.New("not an identity line (start=TICKS dev=DEV ino=INO exe=PATH)")

// ParseIdentity reads an identity line (see String).
func ParseIdentity(b []byte) (Identity, error) {
	s := strings.TrimSuffix(string(b), "\n")
	var id Identity
	for _, key := range []string{"start", "dev", "ino"} {
		word, rest, _ := strings.Cut(s, " ")
		v, ok := strings.CutPrefix(word, key+"=")
		if !ok {
			return Identity{}, errIdentity
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return Identity{}, errIdentity
		}
		switch key {
		case "start":
			id.StartTicks = n
		case "dev":
			id.Dev = n
		default:
			id.Ino = n
		}
		s = rest
	}
	exe, ok := strings.CutPrefix(s, "exe=")
	if !ok || strings.ContainsAny(exe, "\n\x00") {
		return Identity{}, errIdentity
	}
	id.Exe = exe
	return id, nil
}
