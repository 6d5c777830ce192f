package websshcmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/luoyun/osmanager/pkg/loginfront"
)

// nobody is the unprivileged user su runs as, so that it asks for the
// password.
const nobody = 65534

// loginTimeout is how long the front waits for a user name, as login
// waits 60 s for a password.
const loginTimeout = 60 * time.Second

// promptTimeout is how long a session of command may stay at the login
// prompt, name and password together: loginTimeout for login (with or
// without the front), no limit for any other command.
func promptTimeout(command []string) time.Duration {
	if len(command) > 0 && filepath.Base(command[0]) == "login" {
		return loginTimeout
	}
	return 0
}

// runLogin is `webssh login`, the login front webssh runs on each
// session's terminal when webssh.command is /bin/login and
// webssh.login_front is on (pkg/loginfront). It ends by executing login
// or su; it returns only on failure.
func runLogin(stdin io.Reader, stdout io.Writer) error {
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	type answer struct {
		name string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		n, err := loginfront.AskName(stdin, stdout, host)
		got <- answer{n, err}
	}()
	var a answer
	select {
	case a = <-got:
	case <-time.After(loginTimeout):
		fmt.Fprintf(stdout, "\r\nLogin timed out after %d seconds.\r\n", int(loginTimeout.Seconds()))
		return errors.New("login: timed out")
	}
	if a.err != nil {
		return a.err
	}
	isRoot := false
	if u, err := user.Lookup(a.name); err == nil && u.Uid == "0" {
		isRoot = true
	}
	tty, _ := os.Readlink("/proc/self/fd/0")
	plan := loginfront.Choose(a.name, isRoot, strings.TrimPrefix(tty, "/dev/"), loginfront.DefaultPaths)
	if plan.Unprivileged {
		// Dropping the ids also makes the process undumpable, so no
		// other process of that user can trace it before the exec.
		if err := syscall.Setgroups(nil); err != nil {
			return fmt.Errorf("login: setgroups: %w", err)
		}
		if err := syscall.Setgid(nobody); err != nil {
			return fmt.Errorf("login: setgid: %w", err)
		}
		if err := syscall.Setuid(nobody); err != nil {
			return fmt.Errorf("login: setuid: %w", err)
		}
	}
	err := syscall.Exec(plan.Argv[0], plan.Argv, os.Environ())
	return fmt.Errorf("login: exec %s: %w", plan.Argv[0], err)
}
