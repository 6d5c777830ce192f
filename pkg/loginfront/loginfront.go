// Package loginfront is webssh's login front: it asks for the user name,
// as shellinabox's SSH service did, and picks the program that
// authenticates that user. Everybody goes to /bin/login USER, which asks
// for the password with the image's own PAM stack (or busybox's checks);
// root goes to `su -l root` instead only when /etc/securetty shuts root
// out of pseudo terminals (login would refuse root on the web terminal's
// pty however right the password), run as an unprivileged user so that su
// asks for root's password. Nothing here checks a password.
package loginfront

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// MaxName bounds a user name (useradd's limit is 32).
const MaxName = 32

// ErrNoName is returned when the input ends before a name was given.
var ErrNoName = errors.New("loginfront: no user name")

// ValidName reports whether s is a user name login may be handed: a
// letter or '_' first, then letters, digits, '_', '.', '-', at most
// MaxName bytes (never an option, a path or a space).
func ValidName(s string) bool {
	if s == "" || len(s) > MaxName {
		return false
	}
	for i, c := range s {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '.' || c == '-')) {
			return false
		}
	}
	return true
}

// AskName prints "HOST login: " and reads a line from in until it holds a
// valid name; after three invalid ones, or at the end of input, it gives
// up.
func AskName(in io.Reader, out io.Writer, host string) (string, error) {
	r := bufio.NewReaderSize(in, 256)
	for range 3 {
		fmt.Fprintf(out, "%s login: ", host)
		line, err := r.ReadString('\n')
		name := strings.TrimSpace(line)
		if name == "" && err != nil {
			return "", ErrNoName
		}
		if ValidName(name) {
			return name, nil
		}
		if name != "" {
			fmt.Fprint(out, "\r\nLogin incorrect\r\n")
		}
		if err != nil {
			return "", ErrNoName
		}
	}
	return "", ErrNoName
}

// RootShutOut reports whether securetty (the contents of /etc/securetty;
// exists false when there is none) keeps root off tty, the terminal's
// name without /dev/ ("pts/3"): the file exists and does not list it.
// That is the rule of busybox login and of pam_securetty.
func RootShutOut(securetty []byte, exists bool, tty string) bool {
	if !exists {
		return false
	}
	for _, l := range strings.Split(string(securetty), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") && l == tty {
			return false
		}
	}
	return true
}

// Plan is what to run for a user.
type Plan struct {
	// Argv is the program and its arguments.
	Argv []string
	// Unprivileged says the program must run as an unprivileged user
	// (su, so that it asks for the password).
	Unprivileged bool
}

// Paths are the system files the choice reads; root-relative in tests.
type Paths struct {
	Login, Su, Securetty string
}

// DefaultPaths are the system's.
var DefaultPaths = Paths{Login: "/bin/login", Su: "/bin/su", Securetty: "/etc/securetty"}

// Choose returns the plan for user on tty ("pts/3"); isRoot says whether
// the name is an account with uid 0.
func Choose(user string, isRoot bool, tty string, p Paths) Plan {
	login := Plan{Argv: []string{p.Login, user}}
	if !isRoot {
		return login
	}
	data, err := os.ReadFile(p.Securetty)
	exists := err == nil || !errors.Is(err, os.ErrNotExist)
	if !RootShutOut(data, exists, tty) {
		return login
	}
	su := p.Su
	if _, err := os.Stat(su); err != nil {
		if alt := filepath.Join("/usr", su); alt != su {
			if _, err := os.Stat(alt); err == nil {
				su = alt
			}
		}
	}
	return Plan{Argv: []string{su, "-l", user}, Unprivileged: true}
}
