package webssh

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/luoyun/osmanager/internal/logtest"
	"github.com/luoyun/osmanager/internal/nginxtest"
	"github.com/luoyun/osmanager/internal/servetest"
	"github.com/luoyun/osmanager/pkg/filexfer"
)

// The test binary doubles as the programs of a session with transfers:
// the upload helper (filexfer.PutVerb), `webssh get` and a fake login
// that asks a name, becomes testUID and execs /bin/sh, as busybox login
// does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case filexfer.PutVerb:
			os.Exit(filexfer.RunPut(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
		case filexfer.GetVerb:
			tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			if filexfer.Get(os.Getenv(filexfer.SocketEnv), os.Args[2:], tty, os.Stderr) != nil {
				os.Exit(1)
			}
			os.Exit(0)
		case "fake-login":
			runFakeLogin()
		}
	}
	os.Exit(m.Run())
}

// testUID is the unprivileged user of the fake login (no passwd entry).
const testUID = 4242

func runFakeLogin() {
	fmt.Print("fake login: ")
	var name string
	if _, err := fmt.Scanln(&name); err != nil {
		os.Exit(1)
	}
	uid := testUID
	if name == "root" {
		uid = 0
	}
	if err := syscall.Setgroups(nil); err != nil {
		os.Exit(1)
	}
	if err := syscall.Setgid(uid); err != nil {
		os.Exit(1)
	}
	if err := syscall.Setuid(uid); err != nil {
		os.Exit(1)
	}
	err := syscall.Exec("/bin/sh", []string{"-sh"}, os.Environ())
	fmt.Println(err)
	os.Exit(1)
}

// xferEnv is a server with transfers whose sessions run the fake login.
type xferEnv struct {
	s    *Server
	logs *observer.ObservedLogs
	home string // testUID's directory, under /tmp (reachable by that user)
	bin  string // a copy of the test binary that testUID may run
}

func startTransfers(t testing.TB, max int64) *xferEnv {
	t.Helper()
	return startTransfersRate(t, max, 0)
}

// startTransfersRate is startTransfers with a rate cap (bytes/s).
func startTransfersRate(t testing.TB, max, rate int64) *xferEnv {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root (the upload helper changes its uid)")
	}
	// Under /tmp, not t.TempDir (whose parent only root may enter).
	top, err := os.MkdirTemp("/tmp", "webssh-xfer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(top) })
	if err := os.Chmod(top, 0o755); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(top, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, testUID, testUID); err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(top, "webssh")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	// The session's command is called login, as ptyshell and LoginShell
	// know it.
	login := filepath.Join(top, "login")
	if err := os.Symlink(bin, login); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(top, "run", "webssh.sock")
	log, logs := logtest.Observed(t, zapcore.InfoLevel)
	s, err := New(Config{
		Addr:        "127.0.0.1:0",
		Command:     []string{login, "fake-login"},
		Env:         []string{"PATH=/usr/bin:/bin", "TERM=xterm", filexfer.SocketEnv + "=" + sock, "PS1=$ "},
		MaxSessions: 8,
		Grace:       200 * time.Millisecond,
		Transfer:    TransferConfig{MaxBytes: max, Rate: rate, Helper: []string{"/proc/self/exe", filexfer.PutVerb}, Socket: sock, OfferTimeout: 20 * time.Second},
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	servetest.Start(t, s)
	return &xferEnv{s: s, logs: logs, home: home, bin: bin}
}

var sessionOSC = regexp.MustCompile("\x1b\\]5379;session=([0-9a-f]{32});max=[0-9]+\x07")

// open starts a session and returns it with its transfer id.
func (e *xferEnv) open(t testing.TB) (*client, string) {
	t.Helper()
	c := mustDial(t, e.s)
	c.waitFor("fake login: ", 10*time.Second)
	m := sessionOSC.FindStringSubmatch(c.out.String())
	if m == nil {
		t.Fatalf("no session announcement in %q", c.out.String())
	}
	return c, m[1]
}

// login logs in as the test user and goes to dir.
func (e *xferEnv) login(c *client, who, dir string) {
	c.input(who + "\n")
	c.input("cd " + dir + " && echo IN-$((6*7))\n")
	c.waitFor("IN-42", 10*time.Second)
}

type upResult struct {
	status int
	body   string
	res    uploadResult
}

// upload posts data as name to base (the server or a proxy).
func upload(t testing.TB, base, id, name string, data []byte, hdr map[string]string) upResult {
	t.Helper()
	req, err := http.NewRequest("POST", strings.TrimSuffix(base, "/")+"/upload", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(TermHeader, id)
	req.Header.Set(NameHeader, url.PathEscape(name))
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := upResult{status: resp.StatusCode, body: string(b)}
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, &r.res); err != nil {
			t.Fatalf("upload answer %q: %v", b, err)
		}
	}
	return r
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// ownedFile checks that dir/name holds data and belongs to uid.
func ownedFile(t *testing.T, path string, data []byte, uid int) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("%s: %d bytes, sha256 differs from the %d sent", path, len(got), len(data))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != uid || int(st.Gid) != uid {
		t.Fatalf("%s belongs to %d:%d, want %d:%d", path, st.Uid, st.Gid, uid, uid)
	}
}

func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, ".webssh-upload-*"))
	if len(m) > 0 {
		t.Fatalf("temporary files left: %v", m)
	}
}

// TestUpload: a file lands in the shell's directory as the logged-in
// user with its bytes; not before login, not where that user may not
// write, never outside the directory, never over another file.
func TestUpload(t *testing.T) {
	e := startTransfers(t, 20e6)
	c, id := e.open(t)
	base := "http://" + e.s.Addr().String()
	small := []byte("hello\n")

	// At the login prompt: refused, nothing written.
	if r := upload(t, base, id, "early.txt", small, nil); r.status != 403 || !strings.Contains(r.body, "log in first") {
		t.Fatalf("upload at the login prompt: %d %q, want 403 log in first", r.status, r.body)
	}
	e.login(c, "alice", e.home)

	big := randomBytes(t, 10<<20)
	r := upload(t, base, id, "big.bin", big, nil)
	if r.status != 200 || r.res.Name != "big.bin" || r.res.Dir != e.home {
		t.Fatalf("upload: %d %q %+v", r.status, r.body, r.res)
	}
	ownedFile(t, filepath.Join(e.home, "big.bin"), big, testUID)

	// The same name again: numbered, the first file untouched.
	if r := upload(t, base, id, "big.bin", small, nil); r.res.Name != "big (1).bin" {
		t.Fatalf("second big.bin: %d %q", r.status, r.body)
	}
	ownedFile(t, filepath.Join(e.home, "big (1).bin"), small, testUID)
	ownedFile(t, filepath.Join(e.home, "big.bin"), big, testUID)
	if r := upload(t, base, id, "notes", small, nil); r.res.Name != "notes" {
		t.Fatalf("notes: %d %q", r.status, r.body)
	}
	if r := upload(t, base, id, "notes", small, nil); r.res.Name != "notes (1)" {
		t.Fatalf("second notes: %d %q", r.status, r.body)
	}

	// A name with a path lands as a plain name here.
	for _, name := range []string{"../escape.txt", "../../../tmp/escape2.txt", `..\win.txt`} {
		r := upload(t, base, id, name, small, nil)
		want := filexfer.CleanName(name)
		if r.status != 200 || r.res.Name != want || r.res.Dir != e.home {
			t.Fatalf("%q: %d %q, want %s in %s", name, r.status, r.body, want, e.home)
		}
		ownedFile(t, filepath.Join(e.home, want), small, testUID)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(e.home), "escape.txt")); err == nil {
		t.Fatal("../escape.txt landed outside the shell's directory")
	}

	// A symbolic link in the way is not followed: the upload is numbered.
	if err := os.Symlink("/etc/passwd-webssh-test", filepath.Join(e.home, "link")); err != nil {
		t.Fatal(err)
	}
	if r := upload(t, base, id, "link", small, nil); r.res.Name != "link (1)" {
		t.Fatalf("link: %d %q", r.status, r.body)
	}
	if _, err := os.Lstat("/etc/passwd-webssh-test"); err == nil {
		t.Fatal("wrote through a symbolic link")
	}

	// The user may not write in /etc: refused with the reason, nothing there.
	c.input("cd /etc && echo ETC-$((6*7))\n")
	c.waitFor("ETC-42", 10*time.Second)
	if r := upload(t, base, id, "evil.conf", small, nil); r.status != 403 || !strings.Contains(r.body, "permission denied") {
		t.Fatalf("upload into /etc as uid %d: %d %q, want 403 permission denied", testUID, r.status, r.body)
	}
	if _, err := os.Stat("/etc/evil.conf"); err == nil {
		os.Remove("/etc/evil.conf")
		t.Fatal("/etc/evil.conf written")
	}
	noTempFiles(t, e.home)

	// Limits and admission.
	if r := upload(t, base, id, "huge", make([]byte, 20e6+1), nil); r.status != 413 {
		t.Fatalf("over the limit: %d %q", r.status, r.body)
	}
	if r := upload(t, base, id, "x", small, map[string]string{"Origin": "http://evil.example"}); r.status != 403 {
		t.Fatalf("foreign origin: %d %q", r.status, r.body)
	}
	if r := upload(t, base, id, "x", small, map[string]string{"Host": "evil.example:80", "Origin": "http://evil.example:80"}); r.status != 403 {
		t.Fatalf("foreign host: %d %q", r.status, r.body)
	}
	if r := upload(t, base, strings.Repeat("0", 32), "x", small, nil); r.status != 404 {
		t.Fatalf("unknown session: %d %q", r.status, r.body)
	}

	// One line per transfer: user, name, size, direction; never content.
	lines := e.logs.FilterMessage("file transferred").FilterField(zapcore.Field{Key: "direction", Type: zapcore.StringType, String: "upload"}).All()
	if len(lines) != 8 {
		t.Fatalf("%d upload lines, want 8", len(lines))
	}
	f := lines[0].ContextMap()
	if f["user"] != "uid "+strconv.Itoa(testUID) || f["name"] != "big.bin" || f["size"] != int64(10<<20) {
		t.Fatalf("log line %v", f)
	}
}

// TestUploadCancelled: an upload whose connection ends early leaves no
// file, temporary or not.
func TestUploadCancelled(t *testing.T) {
	e := startTransfers(t, 20e6)
	c, id := e.open(t)
	e.login(c, "alice", e.home)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", "http://"+e.s.Addr().String()+"/upload", pr)
	req.ContentLength = 1 << 20
	req.Header.Set(TermHeader, id)
	req.Header.Set(NameHeader, "part.bin")
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	if _, err := pw.Write(make([]byte, 256<<10)); err != nil {
		t.Fatal(err)
	}
	pw.CloseWithError(io.ErrUnexpectedEOF)
	<-done
	if !pollUntil(10*time.Second, func() bool {
		return len(e.logs.FilterMessage("file transfer failed").All()) == 1
	}) {
		t.Fatal("no failure logged")
	}
	if m, _ := filepath.Glob(filepath.Join(e.home, "*part*")); len(m) > 0 {
		t.Fatalf("left %v", m)
	}
	noTempFiles(t, e.home)
}

var getOSC = regexp.MustCompile("\x1b\\]5379;get=([0-9a-f]+)\x07")

// fetch takes the download announced by token.
func fetch(t testing.TB, base, id, token string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", strings.TrimSuffix(base, "/")+"/download", nil)
	req.Header.Set(TermHeader, id)
	req.Header.Set(TokenHeader, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestDownload: `webssh get` in the session hands a regular file the user
// can read to the page, and only that.
func TestDownload(t *testing.T) {
	e := startTransfers(t, 20e6)
	c, id := e.open(t)
	e.login(c, "alice", e.home)
	base := "http://" + e.s.Addr().String()
	data := randomBytes(t, 10<<20)
	path := filepath.Join(e.home, "report 1.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	c.input(e.bin + " get 'report 1.bin'\n")
	c.waitFor("waiting for the browser", 10*time.Second)
	m := getOSC.FindStringSubmatch(c.out.String())
	if m == nil {
		t.Fatalf("no OSC 5379 get in %q", tail(c.out.String()))
	}
	resp, got := fetch(t, base, id, m[1])
	if resp.StatusCode != 200 || sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("download: %d, %d bytes, sha256 equal %v", resp.StatusCode, len(got), sha256.Sum256(got) == sha256.Sum256(data))
	}
	if n, _ := url.PathUnescape(resp.Header.Get(NameHeader)); n != "report 1.bin" {
		t.Fatalf("name %q", resp.Header.Get(NameHeader))
	}
	c.waitFor("report 1.bin: 10.5 MB sent to the browser", 10*time.Second)
	// The token is spent.
	if resp, _ := fetch(t, base, id, m[1]); resp.StatusCode != 404 {
		t.Fatalf("second fetch: %d", resp.StatusCode)
	}
	// Only what the user may read, and only regular files.
	c.input(e.bin + " get /etc/shadow . ; echo RC=$?\n")
	c.waitFor("RC=1", 10*time.Second)
	for _, want := range []string{"/etc/shadow: open /etc/shadow: permission denied", ".: not a regular file"} {
		if !strings.Contains(c.out.String(), want) {
			t.Fatalf("no %q in %q", want, tail(c.out.String()))
		}
	}
	lines := e.logs.FilterMessage("file transferred").All()
	if len(lines) != 1 {
		t.Fatalf("%d transfer lines, want 1", len(lines))
	}
	if f := lines[0].ContextMap(); f["direction"] != "download" || f["name"] != "report 1.bin" || f["size"] != int64(10<<20) {
		t.Fatalf("log line %v", f)
	}
}

// pattern is n bytes of a repeating pattern, read without holding them.
type pattern struct{ left int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(b)), p.left))
	for i := range n {
		b[i] = byte(i % 251)
	}
	p.left -= int64(n)
	return n, nil
}

// TestUploadLimitThroughNginx: through the stock proxy template
// (client_max_body_size 128m) a file of upload_max_mb (100 MB) lands; one
// byte more is refused by webssh before it is read.
func TestUploadLimitThroughNginx(t *testing.T) {
	e := startTransfers(t, 100e6)
	p := nginxtest.Start(t, e.s.Addr().String())
	c, id := e.open(t)
	e.login(c, "alice", e.home)
	for _, size := range []int64{100e6, 100e6 + 1} {
		req, _ := http.NewRequest("POST", p.URL+"upload", &pattern{left: size})
		req.ContentLength = size
		req.Header.Set(TermHeader, id)
		req.Header.Set(NameHeader, "limit.bin")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := 200
		if size > 100e6 {
			want = 413
		}
		if resp.StatusCode != want {
			t.Fatalf("%d bytes through nginx: %d %q, want %d", size, resp.StatusCode, body, want)
		}
	}
	fi, err := os.Stat(filepath.Join(e.home, "limit.bin"))
	if err != nil || fi.Size() != 100e6 {
		t.Fatalf("limit.bin: %v %v", fi, err)
	}
	noTempFiles(t, e.home)
}

// loginUser returns an account of this system with a uid of 1000 or
// more and an existing shell, for /bin/login -f; "" when there is none.
func loginUser(t *testing.T) (name string, uid int) {
	t.Helper()
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return "", 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) < 7 {
			continue
		}
		id, err := strconv.Atoi(f[2])
		if err != nil || id < 1000 || id >= 65534 {
			continue
		}
		if _, err := os.Stat(f[6]); err == nil && strings.HasSuffix(f[6], "sh") {
			return f[0], id
		}
	}
	return "", 0
}

// TestUploadRealLogin: the system's own /bin/login (shadow's or
// util-linux's, which fork the user's shell), run with -f for an
// unprivileged account of this system: the upload is written as that
// account.
func TestUploadRealLogin(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root")
	}
	name, uid := loginUser(t)
	if name == "" {
		t.Skip("skipping: no account with a uid >= 1000 and a shell")
	}
	if _, err := os.Stat("/bin/login"); err != nil {
		t.Skip("skipping: no /bin/login")
	}
	dir, err := os.MkdirTemp("/tmp", "webssh-login-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, uid); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Config{Command: []string{"/bin/login", "-f", name},
		Transfer: TransferConfig{MaxBytes: 1e6, Helper: []string{"/proc/self/exe", filexfer.PutVerb}}})
	c := mustDial(t, s)
	c.waitFor("\x1b]5379;session=", 10*time.Second)
	m := sessionOSC.FindStringSubmatch(c.out.String())
	if m == nil {
		t.Fatalf("no announcement in %q", c.out.String())
	}
	c.input("cd " + dir + " && echo IN-$((6*7))-$(id -u)\n")
	c.waitFor("IN-42-"+strconv.Itoa(uid), 15*time.Second)
	r := upload(t, "http://"+s.Addr().String(), m[1], "real.txt", []byte("real\n"), nil)
	if r.status != 200 {
		t.Fatalf("upload: %d %q", r.status, r.body)
	}
	fi, err := os.Stat(filepath.Join(dir, "real.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Sys().(*syscall.Stat_t).Uid; int(got) != uid {
		t.Fatalf("real.txt belongs to uid %d, want %s's %d", got, name, uid)
	}
}
