// Package ptyshell runs one terminal session's command on a pseudo
// terminal: Read, Write, Resize and Close, where Close hangs up the
// command's session, kills what is left of it and reaps the child.
package ptyshell

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Config says what to run.
type Config struct {
	// Command is the program and its arguments, e.g. ["/bin/login"].
	Command []string
	// Env is the command's environment; nil means a minimal one with
	// TERM=xterm-256color and LANG=C.UTF-8.
	Env []string
	// Dir is the working directory; "" means "/".
	Dir string
	// Cols and Rows are the initial size; 0 means 80x24.
	Cols, Rows uint16
	// Grace is how long Close waits after SIGHUP before SIGKILL; 0 means 2s.
	Grace time.Duration
}

// Shell is a running command on a PTY.
type Shell struct {
	ptmx  *os.File // non-blocking master: Close unblocks Read
	cmd   *exec.Cmd
	grace time.Duration

	done    chan struct{} // closed when the child has been reaped
	waitErr error

	closeOnce sync.Once
	pastLogin atomic.Bool // see PastLogin
}

// Start runs cfg.Command on a new PTY in a new session.
func Start(cfg Config) (*Shell, error) {
	if len(cfg.Command) == 0 || cfg.Command[0] == "" {
		return nil, errors.New("ptyshell: empty command")
	}
	cmd := exec.Command(cfg.Command[0], cfg.Command[1:]...)
	cmd.Env = cfg.Env
	if cmd.Env == nil {
		cmd.Env = []string{"TERM=xterm-256color", "LANG=C.UTF-8", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	cmd.Dir = cfg.Dir
	if cmd.Dir == "" {
		cmd.Dir = "/"
	}
	cols, rows := cfg.Cols, cfg.Rows
	if cols == 0 || rows == 0 {
		cols, rows = 80, 24
	}
	// Setsid+Setctty: the command leads a new session whose controlling
	// terminal is the PTY, and a process group whose id is its pid.
	master, err := pty.StartWithAttrs(cmd, &pty.Winsize{Cols: cols, Rows: rows},
		&syscall.SysProcAttr{Setsid: true, Setctty: true})
	if err != nil {
		return nil, fmt.Errorf("start %s on a pty: %w", cfg.Command[0], err)
	}
	ptmx, err := pollable(master)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	s := &Shell{ptmx: ptmx, cmd: cmd, grace: cfg.Grace, done: make(chan struct{})}
	if s.grace <= 0 {
		s.grace = 2 * time.Second
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
		// A background job may keep the terminal open after the command
		// has gone; wake a blocked Read so the session can end.
		_ = s.ptmx.SetReadDeadline(time.Now().Add(drainTime))
	}()
	return s, nil
}

// pollable returns a non-blocking duplicate of the master, registered with
// Go's poller, and closes the original: creack/pty hands out a blocking
// file, whose Read a Close cannot interrupt.
func pollable(master *os.File) (*os.File, error) {
	var dupErr error
	fd := -1
	rc, err := master.SyscallConn()
	if err == nil {
		err = rc.Control(func(old uintptr) {
			fd, dupErr = unix.FcntlInt(old, unix.F_DUPFD_CLOEXEC, 0)
		})
	}
	master.Close()
	if err == nil {
		err = dupErr
	}
	if err != nil {
		return nil, fmt.Errorf("duplicate pty master: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("pty master non-blocking: %w", err)
	}
	return os.NewFile(uintptr(fd), "/dev/ptmx"), nil
}

// Pid returns the command's process id, which is also its session and
// process group id.
func (s *Shell) Pid() int { return s.cmd.Process.Pid }

// drainTime is how long Read keeps returning output still buffered in
// the terminal after the command has exited.
const drainTime = 100 * time.Millisecond

// Read reads the command's output. Once the command has exited and its
// remaining output has been read, it returns io.EOF (or EIO when nothing
// else holds the terminal).
func (s *Shell) Read(p []byte) (int, error) {
	select {
	case <-s.done:
		_ = s.ptmx.SetReadDeadline(time.Now().Add(drainTime))
	default:
	}
	n, err := s.ptmx.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = io.EOF
	}
	return n, err
}

// Write sends input to the command.
func (s *Shell) Write(p []byte) (int, error) { return s.ptmx.Write(p) }

// Resize sets the terminal's size; the command gets SIGWINCH.
func (s *Shell) Resize(cols, rows uint16) error {
	rc, err := s.ptmx.SyscallConn()
	if err != nil {
		return fmt.Errorf("resize: %w", err)
	}
	var ioErr error
	err = rc.Control(func(fd uintptr) {
		ioErr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Col: cols, Row: rows})
	})
	if err == nil {
		err = ioErr
	}
	if err != nil {
		return fmt.Errorf("resize to %dx%d: %w", cols, rows, err)
	}
	return nil
}

// Done is closed when the command has exited and been reaped.
func (s *Shell) Done() <-chan struct{} { return s.done }

// ExitCode returns the command's exit status once Done is closed: -1 when
// a signal ended it.
func (s *Shell) ExitCode() int {
	select {
	case <-s.done:
		return s.cmd.ProcessState.ExitCode()
	default:
		return -1
	}
}

// Close ends the session: SIGHUP to the command's process group and to
// every process in its session, the master closed (a hangup for whoever
// still has the terminal), SIGKILL to what is left after the grace
// period, and the child reaped. It returns once the child is reaped and
// is safe to call more than once.
func (s *Shell) Close() error {
	s.closeOnce.Do(func() {
		pid := s.Pid()
		// Find the session's processes before the leader exits, while
		// their ancestry is still visible.
		victims := sessionProcs(pid)
		signalAll(pid, victims, unix.SIGHUP)
		s.ptmx.Close()
		t := time.NewTimer(s.grace)
		select {
		case <-s.done:
		case <-t.C:
		}
		t.Stop()
		signalAll(pid, append(victims, sessionProcs(pid)...), unix.SIGKILL)
		<-s.done
	})
	return nil
}

// signalAll signals the process group pid and procs. The group id cannot
// have been reused while any member lives (the kernel keeps the number
// busy); procs are checked by start time.
func signalAll(pid int, procs []proc, sig unix.Signal) {
	_ = unix.Kill(-pid, sig) // the process group; ESRCH once it is empty
	for _, p := range procs {
		if p.alive() {
			_ = unix.Kill(p.pid, sig)
		}
	}
}
