// Package procinfo reads what the OS manager needs to know about a
// process from /proc: whether it is alive (a zombie is not), its command
// line, when it started and the TCP addresses it listens on. Every
// function takes the proc root, "/proc" in production, so that tests can
// also use a fixture tree; nothing here panics on odd file contents.
package procinfo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Root is the proc file system of the running system.
const Root = "/proc"

// clockTicks is USER_HZ, the unit of /proc/PID/stat's start time: 100 on
// every Linux architecture (the kernel converts to it for user space).
const clockTicks = 100

// Stat is what /proc/PID/stat says that matters here.
type Stat struct {
	// State is the one-letter process state (R, S, D, Z, ...).
	State byte
	// StartTicks is the start time in clock ticks after boot.
	StartTicks uint64
	// PPID is the parent's pid.
	PPID int
	// Pgrp is the process group id.
	Pgrp int
	// Session is the session id.
	Session int
}

// ParseStat parses the content of /proc/PID/stat. The command name is in
// parentheses and may hold anything, so the fields are counted from the
// last ')'.
func ParseStat(b []byte) (Stat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return Stat{}, errors.New("stat: no ')' after the command name")
	}
	f := bytes.Fields(b[i+1:])
	// state(3) ... starttime(22): index 0 and 19 after the name.
	if len(f) < 20 || len(f[0]) != 1 {
		return Stat{}, fmt.Errorf("stat: %d fields after the command name, want at least 20", len(f))
	}
	start, err := strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return Stat{}, fmt.Errorf("stat: start time %q is not a number", f[19])
	}
	// ppid(4), pgrp(5) and session(6): index 1, 2 and 3.
	ppid, err := strconv.Atoi(string(f[1]))
	if err != nil {
		return Stat{}, fmt.Errorf("stat: parent pid %q is not a number", f[1])
	}
	pgrp, err := strconv.Atoi(string(f[2]))
	if err != nil {
		return Stat{}, fmt.Errorf("stat: process group %q is not a number", f[2])
	}
	sid, err := strconv.Atoi(string(f[3]))
	if err != nil {
		return Stat{}, fmt.Errorf("stat: session %q is not a number", f[3])
	}
	return Stat{State: f[0][0], StartTicks: start, PPID: ppid, Pgrp: pgrp, Session: sid}, nil
}

// ReadStat reads /proc/PID/stat under root.
func ReadStat(root string, pid int) (Stat, error) {
	b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(pid), "stat"))
	if err != nil {
		return Stat{}, err
	}
	return ParseStat(b)
}

// Alive reports whether pid is a live process: it exists and is not a
// zombie waiting to be reaped. A pid below 1 never is.
func Alive(root string, pid int) bool {
	if pid < 1 {
		return false
	}
	if root == Root {
		// Cheaper than reading stat for a process that is gone.
		if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
			return false
		}
	}
	st, err := ReadStat(root, pid)
	if err != nil {
		return false
	}
	return st.State != 'Z' && st.State != 'X'
}

// Cmdline returns the process's arguments (nil for a kernel thread or a
// process that is gone).
func Cmdline(root string, pid int) []string {
	b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(pid), "cmdline"))
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

// Runs reports whether pid is alive and runs the program name: its
// command line's first argument, or one of the next three (a script run
// by an interpreter, or osmanager.sh about to exec it), is name or ends
// in "/name". It tells a component from an unrelated process that got a
// stale pid.
func Runs(root string, pid int, name string) bool {
	if !Alive(root, pid) {
		return false
	}
	args := Cmdline(root, pid)
	for i, a := range args {
		if i == 4 {
			break
		}
		if a == name || strings.HasSuffix(a, "/"+name) {
			return true
		}
	}
	return false
}

// Uptime reads how long the system has run (/proc/uptime), to the
// hundredth of a second.
func Uptime(root string) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(root, "uptime"))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, errors.New("uptime: empty")
	}
	secs, err := strconv.ParseFloat(f[0], 64)
	if err != nil || secs < 0 || secs > 1e10 {
		return 0, fmt.Errorf("uptime %q is not a number of seconds", f[0])
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// Started returns when pid started, seen from now: now less the time the
// process has run (the system's uptime less the process's start after
// boot). Exact to a clock tick, unlike /proc/stat's btime, which is
// rounded to the second.
func Started(root string, pid int, now time.Time) (time.Time, error) {
	st, err := ReadStat(root, pid)
	if err != nil {
		return time.Time{}, err
	}
	up, err := Uptime(root)
	if err != nil {
		return time.Time{}, err
	}
	ran := up - time.Duration(st.StartTicks)*(time.Second/clockTicks)
	return now.Add(-max(ran, 0)), nil
}
