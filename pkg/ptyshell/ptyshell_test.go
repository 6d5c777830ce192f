package ptyshell

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/poll"
)

// readUntil reads s until its output contains want or the deadline passes.
func readUntil(t *testing.T, s *Shell, want string, d time.Duration) string {
	t.Helper()
	var out bytes.Buffer
	buf := make([]byte, 4096)
	deadline := time.Now().Add(d)
	_ = s.ptmx.SetReadDeadline(deadline)
	defer s.ptmx.SetReadDeadline(time.Time{})
	for !strings.Contains(out.String(), want) {
		n, err := s.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			t.Fatalf("waiting for %q: %v; got %q", want, err, out.String())
		}
	}
	return out.String()
}

func TestEchoAndResize(t *testing.T) {
	s, err := Start(Config{Command: []string{"/bin/sh"}, Cols: 100, Rows: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tests := []struct {
		cols, rows uint16
		want       string
	}{
		{0, 0, "30 100"},
		{132, 43, "43 132"},
		{20, 5, "5 20"},
	}
	for _, tt := range tests {
		if tt.cols != 0 {
			if err := s.Resize(tt.cols, tt.rows); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Write([]byte("stty size | sed 's/^/size=/'\n")); err != nil {
			t.Fatal(err)
		}
		readUntil(t, s, "size="+tt.want, 5*time.Second)
	}
	if _, err := s.Write([]byte("printf '\\344\\275\\240\\345\\245\\275-%s\\n' ok\n")); err != nil {
		t.Fatal(err)
	}
	readUntil(t, s, "你好-ok", 5*time.Second)
}

func TestExitCode(t *testing.T) {
	s, err := Start(Config{Command: []string{"/bin/sh", "-c", "exit 7"}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("command did not exit")
	}
	if got := s.ExitCode(); got != 7 {
		t.Fatalf("ExitCode = %d, want 7", got)
	}
	s.Close()
}

func TestCloseKillsEverything(t *testing.T) {
	tests := []struct {
		name string
		cmd  string
	}{
		{"background job", "sleep 300 & echo started; wait"},
		{"ignores SIGHUP", "trap '' HUP; sleep 300 & echo started; wait"},
		{"own session", "setsid sleep 300 & echo started; wait"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start(Config{Command: []string{"/bin/sh", "-c", tt.cmd}, Grace: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			readUntil(t, s, "started", 5*time.Second)
			procs := sessionProcs(s.Pid())
			if len(procs) == 0 {
				t.Fatal("no processes found in the session")
			}
			start := time.Now()
			s.Close()
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("Close took %v", d)
			}
			for _, p := range procs {
				poll.Until(t, poll.Timeout, fmt.Sprintf("the end of process %d after Close", p.pid), func() bool { return !p.alive() || zombie(p.pid) })
			}
			if _, err := s.Write([]byte("x")); err == nil {
				t.Fatal("Write after Close succeeded")
			}
		})
	}
}

// zombie reports whether pid is a zombie (dead, waiting for a parent that
// is not us; init reaps it).
func zombie(pid int) bool {
	st, ok := readStatState(pid)
	return ok && st == "Z"
}

func TestReadEndsWhenCommandExitsDespiteBackgroundJob(t *testing.T) {
	s, err := Start(Config{Command: []string{"/bin/sh", "-c", "trap '' HUP; sleep 300 & echo last words; exit 0"}, Grace: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out bytes.Buffer
	buf := make([]byte, 1024)
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := s.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Read did not end after the command exited")
		}
	}
	if !strings.Contains(out.String(), "last words") {
		t.Fatalf("output %q lost the last words", out.String())
	}
}
