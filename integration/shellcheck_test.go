package integration

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestShellcheck lints the shipped shell scripts as POSIX sh (they run
// under dash and busybox) and the demo as bash; skipped without
// shellcheck. -x follows what they source.
func TestShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck not installed")
	}
	repo := repoRoot(t)
	for _, tt := range []struct{ shell, file string }{
		{"sh", "osmanager.sh"},
		{"sh", "install.sh"},
		{"sh", "uninstall.sh"},
		{"sh", "upgrade.sh"},
		{"sh", "custom/scripts/status"},
		{"sh", "custom/scripts/config.sample"},
		{"bash", "scripts/demo.sh"},
	} {
		out, err := exec.Command(sc, "-x", "-s", tt.shell, filepath.Join(repo, tt.file)).CombinedOutput()
		if err != nil {
			t.Errorf("shellcheck -s %s %s: %v\n%s", tt.shell, tt.file, err, out)
		}
	}
}
