package integration

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/luoyun/osmanager/internal/testbin"
	"github.com/luoyun/osmanager/pkg/memtrim"
)

// TestSettingsMemoryTrim: each daemon, two seconds after it is ready,
// drops its binary's read-only pages (settings memory.trim, on by
// default): their resident size falls by a megabyte or more; with
// memory.trim = false it stays. The binaries are read from the disk, as
// after a boot. For web it also times the first page request after the
// trim against the second (the trim's cost: the code of a request faults
// back in), in the log.
func TestSettingsMemoryTrim(t *testing.T) {
	for _, tt := range []struct {
		name, settings, line string
		trimmed              bool
	}{
		{"default", "", "memory trimmed", true},
		{"off", "[memory]\ntrim = false\n", "memory trim off", false},
	} {
		for _, daemon := range []string{"web", "webssh", "osm"} {
			t.Run(tt.name+"/"+daemon, func(t *testing.T) {
				trimTest(t, daemon, tt.settings, tt.line, tt.trimmed)
			})
		}
	}
}

// TestSettingsMemoryTrimInterval: web, after its first trim, serves a
// few thousand pages (the garbage of hours of status checks, at once)
// and gives the collected heap back within its trim interval (settings
// memory.trim_interval): its anonymous memory falls by a megabyte or
// more. With trim_interval = "0" it keeps it.
func TestSettingsMemoryTrimInterval(t *testing.T) {
	for _, tt := range []struct {
		interval string
		given    bool
	}{{"1s", true}, {"0", false}} {
		t.Run(tt.interval, func(t *testing.T) {
			d := startForTrim(t, "web", "[memory]\ntrim_interval = \""+tt.interval+"\"\n", false)
			pid := d.cmd.Process.Pid
			// After the first trim, as the status checks come.
			ready := exeResident(t, pid, d.exe)
			if !waitFor(10*time.Second, func() bool { return ready-exeResident(t, pid, d.exe) >= 1024 }) {
				t.Fatal("no first trim within 10 s")
			}
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
			// The collector's first run takes about 0.7 MB of its own,
			// kept; 2000 pages leave about 24 MB of garbage.
			if tt.given {
				waitFor(10*time.Second, func() bool { anon = smapsRollup(t, pid)["Anonymous"]; return anon <= base+2048 })
				if anon > base+2048 {
					t.Errorf("anonymous memory %d kB before 2000 pages, %d kB after, %d kB 10 s later: want at most 2048 kB more than before", base, loaded, anon)
				}
			} else {
				time.Sleep(3 * time.Second) // three times the interval of the other case
				if anon = smapsRollup(t, pid)["Anonymous"]; anon < base+4096 {
					t.Errorf("trim_interval = 0: anonymous memory %d kB before 2000 pages, %d kB after, %d kB 3 s later: want the garbage kept (4096 kB more or over)", base, loaded, anon)
				}
			}
			t.Logf("anonymous memory: %d kB before 2000 pages, %d kB after, then %d kB", base, loaded, anon)
		})
	}
}

func trimTest(t *testing.T, daemon, settings, line string, trimmed bool) {
	d := startForTrim(t, daemon, settings, !trimmed)
	cmd, exe, lines, url := d.cmd, d.exe, d.lines, d.url
	if daemon == "web" {
		get(t, url) // as the status script does at once
	}
	pid := cmd.Process.Pid
	before := exeResident(t, pid, exe)
	after := before
	if trimmed {
		// What runs at once after the trim (the runtime, osm's timers)
		// comes back in whole folios: about 2 MB stays resident, whatever
		// the binary's size (osm's is 3.5 MB resident when ready).
		waitFor(10*time.Second, func() bool { after = exeResident(t, pid, exe); return before-after >= 1024 })
		if before-after < 1024 {
			t.Errorf("%s's read-only pages of its binary: %d -> %d kB resident after 10 s, want 1024 kB or more given back", daemon, before, after)
		}
	} else {
		waitLine(t, lines, line)
		if after = exeResident(t, pid, exe); before-after > 256 {
			t.Errorf("memory.trim = false: %d -> %d kB resident, want them kept", before, after)
		}
	}
	t.Logf("%s's read-only pages of its binary: %d kB resident when ready, then %d kB", daemon, before, after)
	if daemon != "web" {
		return
	}
	f0 := minorFaults(t, pid)
	d1 := get(t, url)
	f1 := minorFaults(t, pid)
	d2 := get(t, url)
	f2 := minorFaults(t, pid)
	t.Logf("first request (trim %v): %v, %d minor faults; the next: %v, %d; resident afterwards %d kB",
		trimmed, d1, f1-f0, d2, f2-f1, exeResident(t, pid, exe))
}

// trimDaemon is a daemon started by startForTrim.
type trimDaemon struct {
	cmd   *exec.Cmd
	exe   string      // its binary, a copy read from the disk
	lines chan string // its standard output
	url   string      // its address, http://ADDR/ (osm: none)
}

// startForTrim starts a copy of daemon read from the disk, with settings
// (debug: logging to its standard output at debug level) and waits until
// it is ready.
func startForTrim(t *testing.T, daemon, settings string, debug bool) *trimDaemon {
	t.Helper()
	dir := t.TempDir()
	exe := filepath.Join(dir, daemon)
	copyPath(t, filepath.Join(binDir(t), daemon), exe)
	testbin.DropCache(t, exe)
	if daemon == "osm" {
		// Few attempts to reach the missing controller: each runs code
		// the trim dropped.
		settings += "[osm]\nreconnect_min = \"1m\"\nreconnect_max = \"2m\"\n"
	}
	toml := filepath.Join(dir, "osmanager.toml")
	mustWrite(t, toml, settings, 0o644)
	// With the trim, the test polls for it, and the daemon logs to its
	// file as installed (writing the debug line to stdout would run, and
	// map back, the console encoder's code); without, it waits for the
	// debug line that says the trim is off.
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
	cmd := exec.Command(exe, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select { // never block the daemon once the test stops reading
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	first := waitLine(t, lines, ready)
	return &trimDaemon{cmd: cmd, exe: exe, lines: lines, url: "http://" + strings.TrimPrefix(first, ready) + "/"}
}

// waitLine returns the first line from lines that contains s, failing the
// test when none comes within 10 s.
func waitLine(t *testing.T, lines <-chan string, s string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("output ended before %q", s)
			}
			if strings.Contains(l, s) {
				return l
			}
		case <-deadline:
			t.Fatalf("no %q within 10 s", s)
		}
	}
}

// get fetches url once and returns how long it took.
func get(t *testing.T, url string) time.Duration {
	t.Helper()
	start := time.Now()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if _, err := io.ReadAll(res.Body); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, res.Status, err)
	}
	return time.Since(start)
}

// minorFaults returns the minor faults of process pid so far
// (/proc/PID/stat, field 10).
func minorFaults(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 8 {
		t.Fatalf("/proc/%d/stat: %q", pid, b)
	}
	n, err := strconv.Atoi(f[7])
	if err != nil {
		t.Fatalf("/proc/%d/stat: minflt %q", pid, f[7])
	}
	return n
}

// exeResident returns the resident kB of the read-only mappings of exe in
// process pid: what memtrim drops.
func exeResident(t testing.TB, pid int, exe string) int {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(exe, &st); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		t.Fatal(err)
	}
	maps := memtrim.ExeReadOnly(memtrim.ParseSmaps(b), memtrim.File{Major: unix.Major(st.Dev), Minor: unix.Minor(st.Dev), Inode: st.Ino})
	if len(maps) == 0 {
		t.Fatalf("no read-only mapping of %s in /proc/%d/smaps", exe, pid)
	}
	kb := 0
	for _, m := range maps {
		kb += m.Rss
	}
	return kb
}
