package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestKeyNeverQuoted (issue #14.6) puts the KEY in every position of
// luoyun.conf (every key's value, a line without '=', the JSON line, an
// unknown key's name) and runs each binary on it: no stderr, stdout or
// log file may hold the KEY or any 8 bytes of it.
func TestKeyNeverQuoted(t *testing.T) {
	const key = "015e33a8-4b1e-4c1a-9d0a-3c2f6c1d8e77"
	bin := binDir(t)
	lines := []string{
		"TAG={K}", "CLC_PORT={K}", "CLC_MCAST_PORT={K}", "CLC_IP={K}", "CLC_MCAST_IP={K}", "KEY {K}", "{K}",
		"{K}=1", "TAG={K8}", `JSON={K}`, `JSON={"webssh": {"port": "{K}"}}`, `JSON={"network": "{K}"}`,
		`JSON={"cookie": "{K}", "domain": {"name": 5}}`,
	}
	for i, l := range lines {
		l := strings.NewReplacer("{K}", key, "{K8}", key[9:17]).Replace(l)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			dir := t.TempDir()
			conf := "CLC_IP=127.0.0.1\nCLC_PORT=1\nCLC_MCAST_IP=228.0.0.1\nCLC_MCAST_PORT=1369\nTAG=7\nKEY=" + key + "\n" + l + "\n"
			mustMkdir(t, filepath.Join(dir, "floppy"))
			mustWrite(t, filepath.Join(dir, "floppy", "luoyun.ini"), conf, 0o600)
			mustWrite(t, filepath.Join(dir, "luoyun.conf"), conf, 0o600)
			mustWrite(t, filepath.Join(dir, "osmanager.toml"), "", 0o644)
			mustMkdir(t, filepath.Join(dir, "root"))
			mustMkdir(t, filepath.Join(dir, "www", "nocookie"))
			c := filepath.Join(dir, "luoyun.conf")
			set := filepath.Join(dir, "osmanager.toml")
			runs := [][]string{
				{"floppyconf", "-d", filepath.Join(dir, "floppy"), "-c", filepath.Join(dir, "out.conf"), "--settings", set},
				{"osc", "-c", c, "--root", filepath.Join(dir, "root"), "--no-network", "--dry-run", "--settings", set},
				{"osm", "-c", c, "-l", filepath.Join(dir, "luoyun.log"), "-s", dir, "--state", filepath.Join(dir, "osm.json"), "--settings", set},
				{"web", "-c", c, "-l", filepath.Join(dir, "lyweb.log"), "-w", filepath.Join(dir, "www"), "--listen-addr", "127.0.0.1", "-p", "0",
					"--state", filepath.Join(dir, "osm.json"), "--settings", set},
				{"webssh", "-c", c, "-l", filepath.Join(dir, "webssh.log"), "--listen-addr", "127.0.0.1", "-p", fmt.Sprint(freePort(t)), "--settings", set},
			}
			var wg sync.WaitGroup
			outs := make([]string, len(runs))
			for j, r := range runs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// The daemons run a moment (long enough to read the
					// config and log about it), then are stopped.
					ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
					defer cancel()
					cmd := exec.CommandContext(ctx, filepath.Join(bin, r[0]), r[1:]...)
					cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
					var b bytes.Buffer
					cmd.Stdout, cmd.Stderr = &b, &b
					_ = cmd.Run()
					outs[j] = r[0] + ":\n" + b.String()
				}()
			}
			wg.Wait()
			all := strings.Join(outs, "\n")
			for _, f := range []string{"luoyun.log", "lyweb.log", "webssh.log", "osm.json"} {
				data, _ := os.ReadFile(filepath.Join(dir, f))
				all += "\n" + f + ":\n" + string(data)
			}
			for k := 0; k+8 <= len(key); k++ {
				if strings.Contains(all, key[k:k+8]) {
					t.Fatalf("line %q: output quotes %q of the KEY:\n%s", l, key[k:k+8], all)
				}
			}
			if !strings.Contains(all, "line 7") {
				t.Errorf("line %q: nobody reported line 7:\n%s", l, all)
			}
		})
	}
}
