package webpage

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/luoyun/osmanager/internal/logtest"
	"github.com/luoyun/osmanager/internal/servetest"
	"github.com/luoyun/osmanager/pkg/logging"
)

const testCookie = "s3cret-cookie"

// clock is a settable time source.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }
func (c *clock) set(t time.Time)  { c.ns.Store(t.UnixNano()) }
func (c *clock) now() time.Time   { return time.Unix(0, c.ns.Load()).UTC() }

// fixture is a www tree with files outside it to steal.
type fixture struct {
	dir   string // holds everything
	root  string // dir/www
	conf  string // dir/luoyun.conf
	build string // dir/build
	state string // dir/osm.json
	proc  string // dir/proc: a proc tree where fixtureOSMPid runs osm
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t testing.TB, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// binaryBlob is a file that looks like a template but must not be one.
var binaryBlob = "\x89PNG\r\n\x1a\n\x00\x00$hostname\x00${curtime}\xff\xfe$$\x00"

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{
		dir:   dir,
		root:  filepath.Join(dir, "www"),
		conf:  filepath.Join(dir, "luoyun.conf"),
		build: filepath.Join(dir, "build"),
		state: filepath.Join(dir, "osm.json"),
		proc:  osmProcRoot(t, filepath.Join(dir, "proc")),
	}
	w := filepath.Join(f.root, WithCookie)
	n := filepath.Join(f.root, NoCookie)
	writeFile(t, filepath.Join(dir, "secret.txt"), "TOPSECRET outside the root\n")
	writeFile(t, filepath.Join(dir, "outside", "secret.txt"), "TOPSECRET in another directory\n")
	writeFile(t, filepath.Join(w, "index.html"), "WITH host=$hostname app=$application v1=$version1 v2=$version2 t=$curtime ssh=$websshurl $unknown\n")
	writeFile(t, filepath.Join(w, "only-with.txt"), "WITH-ONLY\n")
	writeFile(t, filepath.Join(w, "favicon.ico"), binaryBlob)
	writeFile(t, filepath.Join(n, "index.html"), "NO host=$hostname app=$application v1=$version1 v2=$version2 t=$curtime ${unknown}\n")
	writeFile(t, filepath.Join(n, "favicon.ico"), binaryBlob)
	writeFile(t, filepath.Join(n, "img", "logo.png"), binaryBlob+"png")
	writeFile(t, filepath.Join(n, "style.css"), "body{color:red} /* $hostname */\n")
	writeFile(t, filepath.Join(n, "app.js"), "var x = '$hostname';\n")
	writeFile(t, filepath.Join(n, "data.bin"), "\x00\x01$hostname")
	writeFile(t, filepath.Join(n, "sub", "index.html"), "SUB $application\n")
	writeFile(t, filepath.Join(n, "sub", "page.htm"), "HTM $version1\n")
	writeFile(t, filepath.Join(n, ".hidden"), "HIDDEN\n")
	if err := os.MkdirAll(filepath.Join(n, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, "index.html", filepath.Join(n, "link-inside.html"))
	symlink(t, "../../secret.txt", filepath.Join(n, "link-outside"))
	symlink(t, "../../outside", filepath.Join(n, "dir-outside"))
	symlink(t, filepath.Join(dir, "secret.txt"), filepath.Join(n, "abs-link"))
	symlink(t, "../withcookie/only-with.txt", filepath.Join(n, "link-to-with"))
	writeFile(t, f.conf, "TAG=7\nKEY=0123456789\nJSON="+
		`{"cookie": "`+testCookie+`", "domain": {"name": "app.example.com"}, "webssh": {"status": "enable", "port": 8022}}`+"\n")
	writeFile(t, filepath.Join(f.build, "VERSION"), "LuoYun 2.5\nownCloud: 4.0.7\n")
	return f
}

// testConfig returns a configuration over the fixture that looks at the
// disk on every request.
func (f *fixture) config(c *clock) Config {
	cfg := Defaults()
	cfg.Root = f.root
	cfg.ConfigFile = f.conf
	cfg.BuildDir = f.build
	cfg.StateFile = f.state
	cfg.ProcRoot = f.proc
	cfg.Addr = "127.0.0.1:0"
	cfg.WebSSHPort = 8001
	cfg.CheckEvery = 0
	cfg.ShutdownTimeout = 2 * time.Second
	if c != nil {
		cfg.Now = c.now
	}
	cfg.Addrs = func() ([]net.Addr, error) {
		return []net.Addr{&net.IPNet{IP: net.IPv4(192, 0, 2, 10), Mask: net.CIDRMask(24, 32)}}, nil
	}
	return cfg
}

// start runs a server until the test ends and returns its address.
func start(t testing.TB, cfg Config, log *logging.Logger) (*Server, string) {
	t.Helper()
	if log == nil {
		log = logtest.New(t, zaptest.Level(zapcore.WarnLevel))
	}
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	servetest.Start(t, s)
	return s, s.Addr().String()
}

// reply is a response read off the wire.
type reply struct {
	status int
	header http.Header
	body   string
}

// raw sends a request line with target exactly as given and reads the
// response, so that no client library cleans the path first.
func raw(t testing.TB, addr, method, target string, extraHeaders ...string) reply {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n", method, target)
	for _, h := range extraHeaders {
		req += h + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %q: %v", method, target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %q: body: %v", method, target, err)
	}
	return reply{resp.StatusCode, resp.Header, string(body)}
}

func get(t testing.TB, addr, target string) reply { return raw(t, addr, "GET", target) }

func mustContain(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s: body %q lacks %q", what, body, w)
		}
	}
}
