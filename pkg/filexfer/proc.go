package filexfer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/luoyun/osmanager/pkg/procinfo"
)

// ErrNotLoggedIn is returned while a session has no login shell yet: it
// is still at the login prompt (or between login and the shell).
var ErrNotLoggedIn = errors.New("nobody has logged in on this terminal yet")

// Cred is a process's identity: real uid and gid and supplementary
// groups.
type Cred struct {
	Pid    int
	Uid    uint32
	Gid    uint32
	Groups []uint32
}

// LoginShell returns the credentials of the login shell of the session
// whose command is pid: pid itself once it is no longer one of the
// programs in auth (busybox login and su exec the shell), else the
// child login or su started (util-linux and shadow login, util-linux su
// fork it), following the chain through login and su. auth lists the
// command names (/proc/PID/comm) of the programs that authenticate:
// the session's command, login, su. While only those run,
// ErrNotLoggedIn. After `su` or `sudo -s` in the shell the login shell is
// still the one login started, so its user is the one who logged in.
func LoginShell(root string, pid int, auth []string) (Cred, error) {
	cur := pid
	for range 4 {
		if !slices.Contains(auth, comm(root, cur)) {
			return ReadCred(root, cur)
		}
		kid, ok := oldestChild(root, cur)
		if !ok {
			return Cred{}, ErrNotLoggedIn
		}
		cur = kid
	}
	return Cred{}, ErrNotLoggedIn
}

func comm(root string, pid int) string {
	b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(pid), "comm"))
	if err != nil {
		return ""
	}
	return string(bytes.TrimSuffix(b, []byte("\n")))
}

// oldestChild returns the first-started child of pid.
func oldestChild(root string, pid int) (int, bool) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return 0, false
	}
	best, bestStart := 0, uint64(0)
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := procinfo.ReadStat(root, p)
		if err != nil || st.PPID != pid || st.State == 'Z' {
			continue
		}
		if best == 0 || st.StartTicks < bestStart {
			best, bestStart = p, st.StartTicks
		}
	}
	return best, best != 0
}

// ReadCred reads pid's real uid, real gid and groups from its status.
func ReadCred(root string, pid int) (Cred, error) {
	b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(pid), "status"))
	if err != nil {
		return Cred{}, fmt.Errorf("credentials of %d: %w", pid, err)
	}
	c, err := ParseCred(b)
	if err != nil {
		return Cred{}, fmt.Errorf("credentials of %d: %w", pid, err)
	}
	c.Pid = pid
	return c, nil
}

// ParseCred parses the Uid, Gid and Groups lines of /proc/PID/status.
func ParseCred(status []byte) (Cred, error) {
	var c Cred
	var haveUid, haveGid bool
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(val)
		switch key {
		case "Uid", "Gid":
			if len(f) < 1 {
				return Cred{}, fmt.Errorf("%s: empty", key)
			}
			n, err := strconv.ParseUint(f[0], 10, 32)
			if err != nil {
				return Cred{}, fmt.Errorf("%s: %q is not an id", key, f[0])
			}
			if key == "Uid" {
				c.Uid, haveUid = uint32(n), true
			} else {
				c.Gid, haveGid = uint32(n), true
			}
		case "Groups":
			for _, g := range f {
				n, err := strconv.ParseUint(g, 10, 32)
				if err != nil {
					return Cred{}, fmt.Errorf("Groups: %q is not an id", g)
				}
				c.Groups = append(c.Groups, uint32(n))
			}
		}
	}
	if !haveUid || !haveGid {
		return Cred{}, errors.New("no Uid or Gid line")
	}
	return c, nil
}

// ForegroundDir returns the current directory of the process group pgrp
// (the terminal's foreground program): the group leader's, or, when the
// leader has gone, another member's; with that process's umask.
func ForegroundDir(root string, pgrp int) (Target, error) {
	pid := pgrp
	if st, err := procinfo.ReadStat(root, pid); err != nil || st.Pgrp != pgrp || st.State == 'Z' {
		pid = 0
		ents, _ := os.ReadDir(root)
		for _, e := range ents {
			p, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if st, err := procinfo.ReadStat(root, p); err == nil && st.Pgrp == pgrp && st.State != 'Z' {
				pid = p
				break
			}
		}
		if pid == 0 {
			return Target{}, fmt.Errorf("no process in the terminal's foreground group %d", pgrp)
		}
	}
	cwd := filepath.Join(root, strconv.Itoa(pid), "cwd")
	path, err := os.Readlink(cwd)
	if err != nil {
		return Target{}, fmt.Errorf("current directory of %d: %w", pid, err)
	}
	if strings.HasSuffix(path, " (deleted)") || !strings.HasPrefix(path, "/") {
		return Target{}, fmt.Errorf("the current directory of the shell, %s, is gone", path)
	}
	fi, err := os.Stat(cwd)
	if err != nil {
		return Target{}, fmt.Errorf("current directory of %d: %w", pid, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return Target{}, errors.New("current directory: no device and inode")
	}
	t := Target{Dir: path, Dev: st.Dev, Ino: st.Ino, Umask: 0o022}
	if b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(pid), "status")); err == nil {
		if m, ok := parseUmask(b); ok {
			t.Umask = m
		}
	}
	return t, nil
}

func parseUmask(status []byte) (uint32, bool) {
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "Umask:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			return uint32(n) & 0o777, err == nil
		}
	}
	return 0, false
}

// Ancestors returns pid and its ancestors, nearest first, up to init.
func Ancestors(root string, pid int) []int {
	var out []int
	for p := pid; p > 1 && len(out) < 256; {
		out = append(out, p)
		st, err := procinfo.ReadStat(root, p)
		if err != nil {
			break
		}
		p = st.PPID
	}
	return out
}
