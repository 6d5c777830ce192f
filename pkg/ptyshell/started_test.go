package ptyshell

import (
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/poll"
)

// TestPastLogin: a command at its prompt is not past login; once it
// execs another program, or starts one, it is, and stays so.
func TestPastLogin(t *testing.T) {
	tests := []struct {
		name, script string
	}{
		{"exec", `printf 'login: '; read u; exec cat`},             // as busybox login runs the shell
		{"child", `printf 'login: '; read u; sleep 30; echo done`}, // as util-linux login forks it
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start(Config{Command: []string{"/bin/sh", "-c", tt.script}, Grace: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			readUntil(t, s, "login: ", 5*time.Second)
			if s.PastLogin() {
				t.Fatal("PastLogin at the prompt = true")
			}
			if _, err := s.Write([]byte("root\n")); err != nil {
				t.Fatal(err)
			}
			poll.Until(t, poll.Timeout, "PastLogin after the command started another program", s.PastLogin)
		})
	}
}
