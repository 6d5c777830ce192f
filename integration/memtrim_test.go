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

	"github.com/luoyun/osmanager/pkg/memtrim"
)

// TestSettingsMemoryTrim: web, two seconds after it listens, drops its
// binary's read-only pages (settings memory.trim, on by default): their
// resident size falls to less than half; with memory.trim = false it
// stays. The binary is read from the disk, as after a boot. It also
// times the first page request after the trim against the second (the
// trim's cost: the code of a request faults back in), in the log.
func TestSettingsMemoryTrim(t *testing.T) {
	for _, tt := range []struct {
		name, settings, line string
		trimmed              bool
	}{
		{"default", "", "memory trimmed", true},
		{"off", "[memory]\ntrim = false\n", "memory trim off", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			exe := filepath.Join(dir, "web")
			copyPath(t, filepath.Join(binDir(t), "web"), exe)
			dropCache(t, exe)
			mustWrite(t, filepath.Join(dir, "osmanager.toml"), tt.settings, 0o644)
			mustMkdir(t, filepath.Join(dir, "www/nocookie"))
			mustWrite(t, filepath.Join(dir, "www/nocookie/index.html"), "<p>$hostname</p>\n", 0o644)
			cmd := exec.Command(exe, "--debug", "--listen-addr", "127.0.0.1", "-p", "0", "-w", filepath.Join(dir, "www"),
				"-c", "/dev/null", "--state", filepath.Join(dir, "osm.json"), "--settings", filepath.Join(dir, "osmanager.toml"))
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
					lines <- sc.Text()
				}
				close(lines)
			}()
			addr := strings.TrimPrefix(waitLine(t, lines, "listening addr="), "listening addr=")
			url := "http://" + addr + "/"
			get(t, url) // as the status script does at once
			before := exeResident(t, cmd.Process.Pid, exe)
			waitLine(t, lines, tt.line)
			after := exeResident(t, cmd.Process.Pid, exe)
			t.Logf("web's read-only pages of its binary: %d kB resident at the first request, %d kB after %q", before, after, tt.line)
			if tt.trimmed && after > before/2 {
				t.Errorf("trimmed: %d -> %d kB resident, want at most half left", before, after)
			}
			if !tt.trimmed && after < before*3/4 {
				t.Errorf("memory.trim = false: %d -> %d kB resident, want them kept", before, after)
			}
			f0 := minorFaults(t, cmd.Process.Pid)
			first := get(t, url)
			f1 := minorFaults(t, cmd.Process.Pid)
			second := get(t, url)
			f2 := minorFaults(t, cmd.Process.Pid)
			t.Logf("first request after %q: %v, %d minor faults; the next: %v, %d; resident afterwards %d kB",
				tt.line, first, f1-f0, second, f2-f1, exeResident(t, cmd.Process.Pid, exe))
		})
	}
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
