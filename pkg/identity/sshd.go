package identity

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/luoyun/osmanager/pkg/procinfo"
)

// Runner runs a program to its end; ExecRunner in production, a
// recorder in tests.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) error
}

// ExecRunner runs programs with os/exec; a failure carries the
// program's output.
type ExecRunner struct{}

// Run runs name with args.
func (ExecRunner) Run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// SSHD tells a running sshd to load new host keys, the way the system's
// init does it: under systemd `systemctl reload ssh.service` (or
// sshd.service), under upstart `initctl reload ssh`, under SysV
// `/etc/init.d/ssh reload` (or sshd); each checks sshd's configuration
// before sending it SIGHUP, on which sshd starts again with the keys on
// disk. Without any of them, `kill -HUP` of its pid.
type SSHD struct {
	// Run runs the commands.
	Run Runner
	// Root is the system's root, where pid files and init files are
	// looked for ("/" in production).
	Root string
	// Proc is the proc file system (procinfo.Root when "").
	Proc string
}

// sshdPidFiles are where sshd writes its pid (PidFile's defaults).
var sshdPidFiles = []string{"run/sshd.pid", "var/run/sshd.pid"}

// Running returns the pid of the running sshd (its listener), 0 when
// none: a pid file that names a live process called sshd.
func (s SSHD) Running() int {
	proc := s.Proc
	if proc == "" {
		proc = procinfo.Root
	}
	for _, f := range sshdPidFiles {
		b, err := os.ReadFile(filepath.Join(s.Root, f))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || !procinfo.Alive(proc, pid) {
			continue
		}
		// The listener rewrites its command line ("sshd: /usr/sbin/sshd
		// -D [listener] ..."); its comm stays "sshd".
		comm, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(pid), "comm"))
		if err == nil && strings.TrimSpace(string(comm)) == "sshd" {
			return pid
		}
	}
	return 0
}

// Reload tells a running sshd to re-read its host keys and says what it
// did; a sshd that is not running reads them when it starts.
func (s SSHD) Reload(ctx context.Context) (string, error) {
	pid := s.Running()
	if pid == 0 {
		return "sshd not running: it reads them when it starts", nil
	}
	exists := func(p string) bool { _, err := os.Stat(filepath.Join(s.Root, p)); return err == nil }
	var tries [][]string
	switch {
	case exists("run/systemd/system"):
		tries = [][]string{{"systemctl", "reload", "ssh.service"}, {"systemctl", "reload", "sshd.service"}}
	case exists("etc/init/ssh.conf") || exists("etc/init/sshd.conf"):
		job := "ssh"
		if !exists("etc/init/ssh.conf") {
			job = "sshd"
		}
		tries = [][]string{{"initctl", "reload", job}}
	case exists("etc/init.d/ssh"):
		tries = [][]string{{"/etc/init.d/ssh", "reload"}}
	case exists("etc/init.d/sshd"):
		tries = [][]string{{"/etc/init.d/sshd", "reload"}}
	default:
		tries = [][]string{{"kill", "-HUP", strconv.Itoa(pid)}}
	}
	var errs []string
	for _, c := range tries {
		err := s.Run.Run(ctx, c[0], c[1:]...)
		if err == nil {
			return fmt.Sprintf("sshd (pid %d) told to reload: %s", pid, strings.Join(c, " ")), nil
		}
		errs = append(errs, err.Error())
	}
	return "", fmt.Errorf("sshd (pid %d) not told to reload: %s", pid, strings.Join(errs, "; "))
}
