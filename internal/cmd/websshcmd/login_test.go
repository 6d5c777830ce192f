package websshcmd

import (
	"os"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/logtest"
	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/internal/servetest"
	"github.com/luoyun/osmanager/internal/testbin"
	"github.com/luoyun/osmanager/pkg/webssh"
)

// TestLoginFront runs the real `webssh login` on a session's terminal:
// it refuses an option for a name and hands a user to this system's
// /bin/login, which asks for the password. (Root on a system whose
// securetty shuts it out is the VM test's part: test/vmtest.)
func TestLoginFront(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: /bin/login needs root")
	}
	if _, err := os.Stat("/bin/login"); err != nil {
		t.Skipf("skipping: %v", err)
	}
	bin := testbin.Path(t, "webssh")
	s, err := webssh.New(webssh.Config{Addr: "127.0.0.1:0", Command: []string{bin, "login"}, MaxSessions: 2,
		Grace: 500 * time.Millisecond}, logtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	servetest.Start(t, s)
	c := dialTerm(t, "ws://"+s.Addr().String()+"/ws", nil)
	host, _ := os.Hostname()
	c.waitFor(host+" login: ", 10*time.Second)
	c.send("-f root\r")
	c.waitFor("Login incorrect", 10*time.Second)
	c.out.Reset()
	c.send("nosuchuser\r")
	c.waitFor("assword:", 10*time.Second)
	c.ws.Close()
	poll.Until(t, poll.Timeout, "the session's end after the page went away", func() bool { return s.Sessions() == 0 })
}

func TestPromptTimeoutForLogin(t *testing.T) {
	for _, tt := range []struct {
		command []string
		want    time.Duration
	}{
		{[]string{"/bin/login"}, loginTimeout},
		{[]string{"/usr/bin/login", "-p"}, loginTimeout},
		{[]string{"/bin/bash"}, 0},
		{nil, 0},
	} {
		if got := promptTimeout(tt.command); got != tt.want {
			t.Errorf("promptTimeout(%q) = %s, want %s", tt.command, got, tt.want)
		}
	}
}
