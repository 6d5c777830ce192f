package integration

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Values the sandbox's floppy carries.
const (
	e2eTag      = 42
	e2eKey      = "6f1c2a4e-8d3b-4f5a-9c7e-0b1d2e3f4a5b"
	e2eCookie   = "e2e-cookie-7"
	e2eDomain   = "e2e.luoyun.test"
	e2eHash     = "$6$luoyundemo$Mg92CifMK8Rrfsbqik5KWKL6b4mfdyrpF25NdR9O/eVHzsOMyfMHoL/DpkDeQdj7C1gd/nmVkYwLba1t7iMkR."
	e2ePubKey   = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILtieEcyq8F4ZcNc2RDHZEVTToeDbHbbgvo1xej6jZ3R demo@luoyun"
	e2eVersion  = "LuoYun 3.1.4 e2e build\nE2EApp: 2.7.1\n"
	e2eShellMsg = "web-shell-ready"
)

// sandbox is a /LuoYun tree with the five binaries, a fake root for osc,
// a floppy image and free loopback ports, plus a running controller
// simulator; nothing outside its directory is touched.
type sandbox struct {
	dir, tree, root, floppy      string
	webPort, websshPort, clcPort int
	interval                     time.Duration
	websshStatus                 string // JSON webssh.status
	bin                          string // the binaries' directory (default binDir)
	clc                          *simulator
}

// newSandbox lays the sandbox out and starts the simulator; opts adjust
// the sandbox before the floppy is made.
func newSandbox(t testing.TB, interval time.Duration, opts ...func(*sandbox)) *sandbox {
	t.Helper()
	dir := t.TempDir()
	s := &sandbox{
		dir: dir, tree: filepath.Join(dir, "LuoYun"), root: filepath.Join(dir, "root"),
		floppy: filepath.Join(dir, "floppy.img"), interval: interval,
		webPort: freePort(t), websshPort: freePort(t), clcPort: freePort(t),
		websshStatus: "enable",
	}
	for _, o := range opts {
		o(s)
	}
	makeTree(t, s.tree)
	if s.bin == "" {
		s.bin = binDir(t)
	}
	copyBins(t, s.bin, filepath.Join(s.tree, "bin"))
	mustWrite(t, filepath.Join(s.tree, "build/VERSION"), e2eVersion, 0o644)
	mustWrite(t, filepath.Join(s.tree, "custom/osmanager.toml"), fmt.Sprintf(`# the sandbox's tunables
[osm]
status_interval = %q
status_timeout = "5s"
reconnect_min = "50ms"
reconnect_max = "300ms"
state_file = %q

[web]
port = %d

[webssh]
port = %d
command = ["/bin/sh", "-c", "echo %s; exec cat"]

[floppy]
device = %q
wait = "1s"
`, interval.String(), filepath.Join(s.tree, "run/osm.json"), s.webPort, s.websshPort, e2eShellMsg, s.floppy), 0o644)

	// The fake root osc edits.
	mustMkdir(t, filepath.Join(s.root, "etc"))
	mustMkdir(t, filepath.Join(s.root, "root"))
	mustWrite(t, filepath.Join(s.root, "etc/shadow"), "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n", 0o640)
	mustWrite(t, filepath.Join(s.root, "etc/resolv.conf"), "nameserver 127.0.0.53\n", 0o644)

	ini := filepath.Join(dir, "luoyun.ini")
	mustWrite(t, ini, s.ini(), 0o644)
	out, err := exec.Command(filepath.Join(s.bin, "floppyconf"), "--make", s.floppy, "-i", ini).CombinedOutput()
	if err != nil {
		t.Fatalf("floppyconf --make: %v\n%s", err, out)
	}
	s.clc = startSimulator(t, filepath.Join(s.bin, "osm"), s.clcPort)
	t.Cleanup(func() { s.osmanager(t, "stop") })
	return s
}

// ini is the luoyun.ini the compute node would write.
func (s *sandbox) ini() string {
	return fmt.Sprintf("CLC_IP=127.0.0.1\nCLC_PORT=%d\nCLC_MCAST_IP=228.0.0.1\nCLC_MCAST_PORT=1369\nTAG=%d\nKEY=%s\n"+
		`JSON={"cookie": %q, "webssh": {"status": %q, "port": %d}, "domain": {"ip": "127.0.0.1", "name": %q}, "nameservers": "192.0.2.53 192.0.2.54", "passwd_hash": %q, "public_key": %q, "storage": [{"type": "disk", "size": 10}]}`+"\n",
		s.clcPort, e2eTag, e2eKey, e2eCookie, s.websshStatus, s.websshPort, e2eDomain, e2eHash, e2ePubKey)
}

// env is the environment osmanager.sh runs with in the sandbox.
func (s *sandbox) env() []string {
	return []string{
		"LUOYUN_DIR=" + s.tree, "LUOYUN_ROOT=" + s.root, "LUOYUN_NO_NETWORK=1",
		"LUOYUN_FLOPPY=" + s.floppy, "LUOYUN_LISTEN_ADDR=127.0.0.1",
		"LUOYUN_WEB_PORT=", "LUOYUN_WEBSSH_PORT=", "LUOYUN_STATUS_METHOD=",
	}
}

func (s *sandbox) osmanager(t testing.TB, args ...string) result {
	t.Helper()
	return runScript(t, s.env(), append([]string{filepath.Join(s.tree, "osmanager.sh")}, args...)...)
}

func (s *sandbox) pid(t testing.TB, name string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.tree, "run", name+".pid"))
	if err != nil {
		t.Fatalf("pid of %s: %v", name, err)
	}
	p, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("pid of %s: %v", name, err)
	}
	return p
}

// event is one line of the simulator with the time it was read.
type event struct {
	text string
	at   time.Time
}

// simulator is a running `osm clc`.
type simulator struct {
	mu     sync.Mutex
	lines  []event
	update chan struct{}
	cmd    *exec.Cmd
}

func startSimulator(t testing.TB, osm string, port int) *simulator {
	t.Helper()
	// The KEY through a file only we read, not the process list.
	keyFile := filepath.Join(t.TempDir(), "clc.conf")
	mustWrite(t, keyFile, "KEY="+e2eKey+"\n", 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, osm, "clc", "--listen", "127.0.0.1:"+strconv.Itoa(port),
		"-c", keyFile, "--tag", strconv.Itoa(e2eTag))
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &simulator{update: make(chan struct{}, 1), cmd: cmd}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.mu.Lock()
			s.lines = append(s.lines, event{sc.Text(), time.Now()})
			s.mu.Unlock()
			select {
			case s.update <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		cmd.Wait()
		if t.Failed() {
			t.Logf("simulator output:\n%s\nstderr:\n%s", strings.Join(s.texts(), "\n"), stderr.String())
		}
	})
	if _, _, ok := s.wait(0, 10*time.Second, "listening addr=127.0.0.1:"+strconv.Itoa(port)); !ok {
		t.Fatalf("simulator did not start: %s", stderr.String())
	}
	return s
}

func (s *simulator) texts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.lines))
	for i, e := range s.lines {
		out[i] = e.text
	}
	return out
}

// mark is the index of the next line to come.
func (s *simulator) mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.lines)
}

// wait returns the first line at index from or later that starts with
// prefix, waiting up to timeout for it.
func (s *simulator) wait(from int, timeout time.Duration, prefix string) (int, event, bool) {
	return s.waitFunc(from, timeout, func(l string) bool { return strings.HasPrefix(l, prefix) })
}

func (s *simulator) waitFunc(from int, timeout time.Duration, match func(string) bool) (int, event, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for i := from; i < len(s.lines); i++ {
			if match(s.lines[i].text) {
				e := s.lines[i]
				s.mu.Unlock()
				return i, e, true
			}
		}
		s.mu.Unlock()
		select {
		case <-s.update:
		case <-deadline.C:
			return -1, event{}, false
		}
	}
}

// rssKB is a process's resident set size in KiB, from /proc.
func rssKB(t testing.TB, pid int) int { return statusKB(t, pid, "VmRSS") }

// statusKB reads the field ("VmRSS", "VmPTE") of /proc/PID/status, in kB.
func statusKB(t testing.TB, pid int, field string) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("%s of %d: %v", field, pid, err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == field+":" {
			n, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("/proc/%d/status: %q", pid, l)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

func mustMkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
