package ptyshell

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// PastLogin reports whether the command has started another program:
// it has exec'd one other than login or su (its command name changed, as
// busybox login does with the user's shell) or another process runs in
// its session or below it (util-linux and shadow login fork the shell).
// For /bin/login, or webssh's login front, that means a user has logged
// in. Once true it stays true.
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
	want := commName(s.cmd.Path)
	name := string(bytes.TrimSuffix(comm, []byte("\n")))
	atPrompt := name == want || name == "login" || name == "su" // webssh's login front hands over to these
	if !atPrompt || len(sessionProcs(pid)) > 0 {
		s.pastLogin.Store(true)
		return true
	}
	return false
}

// commName is the kernel's command name of a program: its base name cut
// to TASK_COMM_LEN-1 bytes.
func commName(path string) string {
	name := filepath.Base(path)
	if len(name) > 15 {
		name = name[:15]
	}
	return name
}
