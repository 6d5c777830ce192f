package identity

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// recorder is a Runner that records the commands and fails those named
// in fail.
type recorder struct {
	ran  []string
	fail map[string]bool
}

func (r *recorder) Run(_ context.Context, name string, args ...string) error {
	c := strings.Join(append([]string{name}, args...), " ")
	r.ran = append(r.ran, c)
	if r.fail[c] {
		return errors.New("failed")
	}
	return nil
}

// fakeSSHD runs a process whose name is sshd (a copy of sleep) and
// returns its pid.
func fakeSSHD(t *testing.T) int {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "sshd")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd.Process.Pid
}

func TestSSHDReload(t *testing.T) {
	pid := fakeSSHD(t)
	p := strconv.Itoa(pid)
	for _, tt := range []struct {
		name    string
		files   []string // made in the root
		pidFile string
		fail    []string
		want    []string
		err     bool
	}{
		{name: "not running", files: []string{"run/systemd/system/"}, want: nil},
		{name: "stale pid file", files: []string{"etc/init.d/ssh"}, pidFile: "run/sshd.pid:1", want: nil},
		{name: "systemd", files: []string{"run/systemd/system/", "etc/init.d/ssh"}, pidFile: "run/sshd.pid", want: []string{"systemctl reload ssh.service"}},
		{name: "systemd, sshd.service", files: []string{"run/systemd/system/"}, pidFile: "run/sshd.pid", fail: []string{"systemctl reload ssh.service"},
			want: []string{"systemctl reload ssh.service", "systemctl reload sshd.service"}},
		{name: "upstart", files: []string{"etc/init/ssh.conf", "etc/init.d/ssh"}, pidFile: "var/run/sshd.pid", want: []string{"initctl reload ssh"}},
		{name: "sysv", files: []string{"etc/init.d/ssh"}, pidFile: "var/run/sshd.pid", want: []string{"/etc/init.d/ssh reload"}},
		{name: "sysv sshd", files: []string{"etc/init.d/sshd"}, pidFile: "run/sshd.pid", want: []string{"/etc/init.d/sshd reload"}},
		{name: "none: signal", pidFile: "run/sshd.pid", want: []string{"kill -HUP " + p}},
		{name: "failure", files: []string{"etc/init.d/ssh"}, pidFile: "run/sshd.pid", fail: []string{"/etc/init.d/ssh reload"}, want: []string{"/etc/init.d/ssh reload"}, err: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, f := range tt.files {
				os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755)
				if !strings.HasSuffix(f, "/") {
					os.WriteFile(filepath.Join(root, f), nil, 0o755)
				}
			}
			if tt.pidFile != "" {
				f, n, ok := strings.Cut(tt.pidFile, ":")
				if !ok {
					n = p
				}
				os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755)
				os.WriteFile(filepath.Join(root, f), []byte(n+"\n"), 0o644)
			}
			rec := &recorder{fail: map[string]bool{}}
			for _, f := range tt.fail {
				rec.fail[f] = true
			}
			msg, err := SSHD{Run: rec, Root: root}.Reload(context.Background())
			if (err != nil) != tt.err || strings.Join(rec.ran, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Reload = %q, %v; ran %q, want %q", msg, err, rec.ran, tt.want)
			}
		})
	}
}
