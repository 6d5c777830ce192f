package ptyshell

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// PastLogin reports whether the command has started another program:
// it has exec'd one (its command name changed, as busybox login does with
// the user's shell) or another process runs in its session or below it
// (util-linux and shadow login fork the shell). For /bin/login that means
// a user has logged in. Once true it stays true.
func (s *Shell) PastLogin() bool {
	if s.pastLogin.Load() {
		return true
	}
	select {
	case <-s.done:
		return false
	default:
	}
	pid := s.Pid()
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return false
	}
	want := filepath.Base(s.cmd.Path)
	if len(want) > 15 { // the kernel keeps TASK_COMM_LEN-1 bytes
		want = want[:15]
	}
	if string(bytes.TrimSuffix(comm, []byte("\n"))) != want || len(sessionProcs(pid)) > 0 {
		s.pastLogin.Store(true)
		return true
	}
	return false
}
