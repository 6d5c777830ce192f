package webcmd

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWebSSHPortFlag: --webssh-port (osmanager.sh passes LUOYUN_WEBSSH_PORT)
// is the port the page shows; out of range is a usage error.
func TestWebSSHPortFlag(t *testing.T) {
	none := filepath.Join(t.TempDir(), "empty.toml")
	if err := os.WriteFile(none, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	o, _, err := parse([]string{"--settings", none, "--webssh-port", "9001", "--listen-addr", "127.0.0.1", "-p", "0"}, io.Discard, io.Discard)
	if err != nil || o.page.WebSSHPortExplicit != 9001 || o.page.WebSSHPort != 8001 {
		t.Errorf("--webssh-port 9001: %+v, %v", o.page, err)
	}
	o, _, err = parse([]string{"--settings", none, "--listen-addr", "127.0.0.1", "-p", "0"}, io.Discard, io.Discard)
	if err != nil || o.page.WebSSHPortExplicit != 0 {
		t.Errorf("without --webssh-port: explicit %d, %v", o.page.WebSSHPortExplicit, err)
	}
	_, _, err = parse([]string{"--settings", none, "--webssh-port", "70000"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--webssh-port must be 1..65535, got 70000") {
		t.Errorf("--webssh-port 70000: %v", err)
	}
}
