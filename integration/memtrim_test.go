package integration

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/luoyun/osmanager/pkg/memtrim"
)

// TestSettingsMemoryTrimKey: a settings file written for an older tree
// sets [memory] trim; osm, web and webssh accept it, true or false, say
// in one line at start that it does nothing, and warn about nothing.
// Without the key, no line.
func TestSettingsMemoryTrimKey(t *testing.T) {
	for _, settings := range []string{"[memory]\ntrim = true\n", "[memory]\ntrim = false\n", ""} {
		for _, daemon := range []string{"web", "webssh", "osm"} {
			name := strings.TrimSpace(strings.TrimPrefix(settings, "[memory]\n"))
			if name == "" {
				name = "no key"
			}
			t.Run(name+"/"+daemon, func(t *testing.T) {
				d := startForTrim(t, daemon, settings, true)
				out := d.stop(t)
				want := 0
				if settings != "" {
					want = 1
				}
				if n := strings.Count(out, memtrim.TrimKeyNote); n != want {
					t.Errorf("%q said %d times, want %d; output:\n%s", memtrim.TrimKeyNote, n, want, out)
				}
				if strings.Contains(out, daemon+": warning") {
					t.Errorf("a settings warning; output:\n%s", out)
				}
			})
		}
	}
}

// TestSettingsMemoryTrimInterval: web serves a few thousand pages (the
// garbage of hours of status checks, at once) and gives the collected
// heap back within its trim interval (settings memory.trim_interval):
// its anonymous memory falls by a megabyte or more. With trim_interval =
// "0" it keeps it.
func TestSettingsMemoryTrimInterval(t *testing.T) {
	for _, tt := range []struct {
		interval string
		given    bool
	}{{"1s", true}, {"0", false}} {
		t.Run(tt.interval, func(t *testing.T) {
			d := startForTrim(t, "web", "[memory]\ntrim_interval = \""+tt.interval+"\"\n", false)
			pid := d.cmd.Process.Pid
			base := smapsRollup(t, pid)["Anonymous"]
			// One new connection per page, as the status script's curl.
			c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			for range 2000 {
				res, err := c.Get(d.url)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
			loaded := smapsRollup(t, pid)["Anonymous"]
			anon := loaded
			// The collector's first run takes memory of its own, kept;
			// 2000 pages leave about 24 MB of garbage.
			if tt.given {
				waitFor(10*time.Second, func() bool { anon = smapsRollup(t, pid)["Anonymous"]; return anon <= base+2048 })
				if anon > base+2048 {
					t.Errorf("anonymous memory %d kB before 2000 pages, %d kB after, %d kB 10 s later: want at most 2048 kB more than before", base, loaded, anon)
				}
			} else {
				// An observation window (three times the interval of the
				// other case): the test is that nothing happens in it.
				time.Sleep(3 * time.Second)
				if anon = smapsRollup(t, pid)["Anonymous"]; anon < base+4096 {
					t.Errorf("trim_interval = 0: anonymous memory %d kB before 2000 pages, %d kB after, %d kB 3 s later: want the garbage kept (4096 kB more or over)", base, loaded, anon)
				}
			}
			t.Logf("anonymous memory: %d kB before 2000 pages, %d kB after, then %d kB", base, loaded, anon)
		})
	}
}

// trimDaemon is a daemon started by startForTrim.
type trimDaemon struct {
	cmd *exec.Cmd
	out *syncBuffer // its standard output and error
	url string      // its address, http://ADDR/ (osm: none)
}

// syncBuffer is a bytes.Buffer a process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// stop ends the daemon (SIGTERM) and returns all it wrote.
func (d *trimDaemon) stop(t *testing.T) string {
	t.Helper()
	d.cmd.Process.Signal(syscall.SIGTERM)
	d.cmd.Wait()
	return d.out.String()
}

// startForTrim starts daemon from binDir with settings (debug: logging
// to its standard output at debug level, else to a file) and waits until
// it is ready.
func startForTrim(t *testing.T, daemon, settings string, debug bool) *trimDaemon {
	t.Helper()
	dir := t.TempDir()
	if daemon == "osm" {
		// Few attempts to reach the missing controller.
		settings += "[osm]\nreconnect_min = \"1m\"\nreconnect_max = \"2m\"\n"
	}
	toml := filepath.Join(dir, "osmanager.toml")
	mustWrite(t, toml, settings, 0o644)
	args := []string{"--settings", toml, "-l", filepath.Join(dir, daemon+".log")}
	if debug {
		args = append(args, "--debug")
	}
	ready := "listening addr="
	switch daemon {
	case "web":
		mustMkdir(t, filepath.Join(dir, "www/nocookie"))
		mustWrite(t, filepath.Join(dir, "www/nocookie/index.html"), "<p>$hostname</p>\n", 0o644)
		args = append(args, "--listen-addr", "127.0.0.1", "-p", "0", "-w", filepath.Join(dir, "www"),
			"-c", "/dev/null", "--state", filepath.Join(dir, "osm.json"))
	case "webssh":
		args = append(args, "--listen-addr", "127.0.0.1", "-p", strconv.Itoa(freePort(t)), "-c", "/dev/null")
	case "osm":
		// A controller that is not there: osm is ready once luoyun.conf
		// has loaded and keeps trying to reach it.
		conf := filepath.Join(dir, "luoyun.conf")
		mustWrite(t, conf, fmt.Sprintf("CLC_IP=127.0.0.1\nCLC_PORT=%d\nTAG=%d\nKEY=%s\n", freePort(t), e2eTag, e2eKey), 0o600)
		mustMkdir(t, filepath.Join(dir, "scripts"))
		args = append(args, "-c", conf, "-s", filepath.Join(dir, "scripts"), "--state", filepath.Join(dir, "osm.json"))
		ready = "running pid="
	}
	d := &trimDaemon{cmd: exec.Command(filepath.Join(binDir(t), daemon), args...), out: &syncBuffer{}}
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.cmd.Process.Signal(syscall.SIGTERM); d.cmd.Wait() })
	var line string
	if !waitFor(10*time.Second, func() bool {
		_, rest, ok := strings.Cut(d.out.String(), ready)
		line, _, _ = strings.Cut(rest, "\n")
		return ok && strings.Contains(rest, "\n")
	}) {
		t.Fatalf("%s: no %q within 10 s; output:\n%s", daemon, ready, d.out.String())
	}
	d.url = "http://" + line + "/"
	return d
}
