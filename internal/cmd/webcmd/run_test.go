package webcmd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/internal/testbin"
	"github.com/luoyun/osmanager/pkg/cli"
)

func TestParse(t *testing.T) {
	dir := t.TempDir()
	settingsFile := filepath.Join(dir, "s.toml")
	if err := os.WriteFile(settingsFile, []byte("[web]\nport = 9090\n[webssh]\nport = 2222\n[osm]\nstate_file = \"/x/osm.json\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	none := filepath.Join(dir, "none.toml") // the default path may be missing
	tests := []struct {
		name     string
		args     []string
		addr     string
		state    string
		sshPort  int
		usageErr string
	}{
		{"defaults", []string{"--settings", settingsFile}, ":9090", "/x/osm.json", 2222, ""},
		{"bare port", []string{"--settings", settingsFile, "8080"}, ":8080", "/x/osm.json", 2222, ""},
		{"bare port first", []string{"8081", "--settings", settingsFile}, ":8081", "/x/osm.json", 2222, ""},
		{"-p", []string{"--settings", settingsFile, "-p", "8082"}, ":8082", "/x/osm.json", 2222, ""},
		{"--port and same bare", []string{"--settings", settingsFile, "--port=8083", "8083"}, ":8083", "/x/osm.json", 2222, ""},
		{"listen addr", []string{"--settings", settingsFile, "--listen-addr", "127.0.0.1", "8084"}, "127.0.0.1:8084", "/x/osm.json", 2222, ""},
		{"IPv6 listen addr", []string{"--settings", settingsFile, "--listen-addr", "::1", "8084"}, "[::1]:8084", "/x/osm.json", 2222, ""},
		{"port 0 with listen addr", []string{"--settings", settingsFile, "--listen-addr", "127.0.0.1", "-p", "0"}, "127.0.0.1:0", "/x/osm.json", 2222, ""},
		{"--state", []string{"--settings", settingsFile, "--state", "/y.json"}, ":9090", "/y.json", 2222, ""},
		{"--state empty", []string{"--settings", settingsFile, "--state", ""}, ":9090", "", 2222, ""},
		{"conflicting ports", []string{"--settings", settingsFile, "-p", "1", "2"}, "", "", 0, "port given twice"},
		{"bad bare port", []string{"--settings", settingsFile, "http"}, "", "", 0, "PORT must be a number"},
		{"bare port 0", []string{"--settings", settingsFile, "0"}, "", "", 0, "PORT must be a number"},
		{"bare port too big", []string{"--settings", settingsFile, "65536"}, "", "", 0, "PORT must be a number"},
		{"two bare ports", []string{"--settings", settingsFile, "1", "2"}, "", "", 0, "too many arguments"},
		{"-p 0 on all addresses", []string{"--settings", settingsFile, "-p", "0"}, "", "", 0, "port must be"},
		{"-p negative", []string{"--settings", settingsFile, "-p", "-5"}, "", "", 0, "port must be"},
		{"unknown flag", []string{"--settings", settingsFile, "--frobnicate"}, "", "", 0, "unknown flag"},
		{"missing default settings", []string{"--settings", none}, "", "", 0, "settings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, done, err := parse(tt.args, io.Discard, io.Discard)
			if tt.usageErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.usageErr) {
					t.Fatalf("parse(%q) error = %v, want one mentioning %q", tt.args, err, tt.usageErr)
				}
				var ue *cli.UsageError
				if tt.name != "missing default settings" && !errors.As(err, &ue) {
					t.Errorf("error %v is not a usage error (exit 2)", err)
				}
				return
			}
			if err != nil || done {
				t.Fatalf("parse(%q) = done %v, %v", tt.args, done, err)
			}
			if o.page.Addr != tt.addr || o.page.StateFile != tt.state || o.page.WebSSHPort != tt.sshPort {
				t.Errorf("addr %q state %q ssh %d; want %q %q %d", o.page.Addr, o.page.StateFile, o.page.WebSSHPort, tt.addr, tt.state, tt.sshPort)
			}
			if o.page.Root != "/LuoYun/custom/www" || o.page.ConfigFile != "/LuoYun/conf/luoyun.conf" || o.page.BuildDir != "/LuoYun/build" || o.log.File != "/LuoYun/log/lyweb.log" {
				t.Errorf("default paths: %+v %+v", o.page, o.log)
			}
		})
	}
	o, _, err := parse([]string{"--settings", settingsFile, "-c", "/c", "-l", "/l", "-w", "/w", "--build", "/b", "--debug"}, io.Discard, io.Discard)
	if err != nil || o.page.ConfigFile != "/c" || o.log.File != "/l" || o.page.Root != "/w" || o.page.BuildDir != "/b" || !o.log.Debug {
		t.Errorf("paths: %+v %+v %v", o.page, o.log, err)
	}
	if o.daemon.Procs != 1 {
		t.Errorf("procs = %d, want the default web.procs 1", o.daemon.Procs)
	}
	procsFile := filepath.Join(dir, "p.toml")
	if err := os.WriteFile(procsFile, []byte("[web]\nprocs = 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if o, _, err := parse([]string{"--settings", procsFile}, io.Discard, io.Discard); err != nil || o.daemon.Procs != 0 {
		t.Errorf("web.procs = 0: procs %d, %v", o.daemon.Procs, err)
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "--version"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{arg}, &out, io.Discard); err != nil {
			t.Errorf("%s: %v", arg, err)
		}
		if !strings.Contains(out.String(), "web") {
			t.Errorf("%s printed %q", arg, out.String())
		}
	}
	var out bytes.Buffer
	_ = run(context.Background(), []string{"--help"}, &out, io.Discard)
	for _, opt := range []string{"--config", "--log", "--web", "--port", "--build", "--state", "--listen-addr", "--settings", "--debug", "--version", "[PORT]"} {
		if !strings.Contains(out.String(), opt) {
			t.Errorf("--help lacks %s", opt)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var addrRE = regexp.MustCompile(`listening addr=(\S+)`)

// waitAddr polls out for the "listening addr=" line.
func waitAddr(t *testing.T, out interface{ String() string }) string {
	t.Helper()
	var m []string
	if !poll.Wait(poll.Timeout, func() bool { m = addrRE.FindStringSubmatch(out.String()); return m != nil }) {
		t.Fatalf("no listening line in %q", out.String())
	}
	return m[1]
}

// tree lays out a /LuoYun-like tree and returns the options for it.
func tree(t *testing.T) (dir string, args []string) {
	dir = t.TempDir()
	write := func(p, s string) {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("conf/luoyun.conf", "TAG=3\nKEY=k-e-y-0123\nJSON={\"cookie\": \"c-123\", \"domain\": {\"name\": \"wiki.example.org\"}}\n")
	write("build/VERSION", "LuoYun 1.5\nwiki: 2.0\n")
	write("custom/osmanager.toml", "# defaults\n")
	write("www/withcookie/index.html", "with $hostname $application $version1 $version2\n")
	write("www/nocookie/index.html", "without $hostname\n")
	return dir, []string{
		"-c", filepath.Join(dir, "conf/luoyun.conf"),
		"-l", filepath.Join(dir, "log/lyweb.log"),
		"-w", filepath.Join(dir, "www"),
		"--build", filepath.Join(dir, "build"),
		"--state", filepath.Join(dir, "run/osm.json"),
		"--settings", filepath.Join(dir, "custom/osmanager.toml"),
		"--listen-addr", "127.0.0.1",
	}
}

func fetch(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestRun(t *testing.T) {
	dir, args := tree(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, append(args, "-p", "0"), out, io.Discard) }()
	addr := waitAddr(t, out)
	if got := fetch(t, "http://"+addr+"/?cookie=c-123"); got != "with wiki.example.org wiki 1.5 2.0\n" {
		t.Errorf("withcookie page = %q", got)
	}
	if got := fetch(t, "http://"+addr+"/"); got != "without wiki.example.org\n" {
		t.Errorf("nocookie page = %q", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	log, err := os.ReadFile(filepath.Join(dir, "log/lyweb.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "[INFO] access request"); n != 2 {
		t.Errorf("%d access lines in lyweb.log, want 2:\n%s", n, log)
	}
	if strings.Contains(string(log), "c-123") || strings.Contains(string(log), "k-e-y") {
		t.Errorf("lyweb.log holds the cookie or the KEY:\n%s", log)
	}
}

func TestListenError(t *testing.T) {
	_, args := tree(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	err = run(context.Background(), append(args, port), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("run on a busy port = %v, want a listen error", err)
	}
	var stderr bytes.Buffer
	if code := cli.ExitCode("web", err, &stderr); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
}

// binary returns the web binary (internal/testbin).
func binary(t *testing.T) string { return testbin.Path(t, "web") }

// TestBinarySIGTERM starts the binary the way the original was started
// (a bare port) and stops it with SIGTERM: exit status 0.
func TestBinarySIGTERM(t *testing.T) {
	bin := binary(t)
	_, args := tree(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	out := &syncBuffer{}
	cmd := exec.Command(bin, append(args, port)...)
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	addr := waitAddr(t, out)
	if addr != "127.0.0.1:"+port {
		t.Errorf("listening on %s, want port %s", addr, port)
	}
	if got := fetch(t, "http://"+addr+"/"); got != "without wiki.example.org\n" {
		t.Errorf("page = %q", got)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("web after SIGTERM: %v (output %q)", err, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("web did not exit after SIGTERM")
	}
}
