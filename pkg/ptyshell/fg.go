package ptyshell

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Foreground returns the terminal's foreground process group (tcgetpgrp
// asked on the master): the group of the program the user is talking to,
// e.g. the shell at its prompt or the command it runs.
func (s *Shell) Foreground() (int, error) {
	rc, err := s.ptmx.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("foreground group: %w", err)
	}
	var pgrp int
	var ioErr error
	err = rc.Control(func(fd uintptr) {
		pgrp, ioErr = unix.IoctlGetInt(int(fd), unix.TIOCGPGRP)
	})
	if err == nil {
		err = ioErr
	}
	if err != nil {
		return 0, fmt.Errorf("foreground group: %w", err)
	}
	return pgrp, nil
}

// Auth lists the command names (as /proc/PID/comm shows them) of the
// programs that stand between a session's start and the user's shell:
// the command itself (the login front or login), login and su.
func (s *Shell) Auth() []string {
	return []string{commName(s.cmd.Path), "login", "su"}
}
