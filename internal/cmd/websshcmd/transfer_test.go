package websshcmd

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/testbin"
	"github.com/luoyun/osmanager/pkg/webssh"
)

var (
	sessionOSC = regexp.MustCompile("\x1b\\]5379;session=([0-9a-f]{32});max=100000000\x07")
	getOSC     = regexp.MustCompile("\x1b\\]5379;get=([0-9a-f]+)\x07")
)

// post sends a transfer request to the chrooted server.
func post(t *testing.T, base, path string, body []byte, hdr map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func owner(t *testing.T, path string) uint32 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Uid
}

// TestTransfersChrooted: the real binary with the shipped defaults, on a
// busybox system: alice logs in through the login front and busybox
// login; her uploads land in her shell's directory as hers; after `su`
// to root she still uploads as alice (refused in /root, hers in her
// directory); `webssh get` (the real verb, on the socket beside bin/)
// hands a file to the page; webssh.log has one line per transfer.
func TestTransfersChrooted(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root (chroot, mount namespace)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skipf("skipping: %v", err)
	}
	root := securettyRoot(t, testbin.Path(t, "webssh"), true)
	home := filepath.Join(root, "home", "alice")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	url, done := startChrooted(t, root)
	base := "http://" + strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/ws")
	c := dialTerm(t, url, done)
	c.waitFor("login: ", 10*time.Second)
	m := sessionOSC.FindStringSubmatch(c.out.String())
	if m == nil {
		t.Fatalf("no session announcement in %q", c.out.String())
	}
	id := m[1]
	up := func(name string, data []byte) (int, string) {
		code, b := post(t, base, "/upload", data, map[string]string{webssh.TermHeader: id, webssh.NameHeader: name})
		return code, string(b)
	}
	data := make([]byte, 1<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	if code, body := up("early", data); code != 403 || !strings.Contains(body, "log in first") {
		t.Fatalf("at the login prompt: %d %q", code, body)
	}

	c.send("alice\r")
	c.waitFor("Password: ", 10*time.Second)
	c.send("secret\r")
	c.send("cd /home/alice && echo IN-$((6*7))\r")
	c.waitFor("IN-42", 15*time.Second)
	if code, body := up("a.bin", data); code != 200 || !strings.Contains(body, `"name":"a.bin"`) {
		t.Fatalf("upload: %d %q", code, body)
	}
	got, _ := os.ReadFile(filepath.Join(home, "a.bin"))
	if sha256.Sum256(got) != sha256.Sum256(data) || owner(t, filepath.Join(home, "a.bin")) != 1000 {
		t.Fatalf("a.bin: %d bytes, owner %d", len(got), owner(t, filepath.Join(home, "a.bin")))
	}

	// su to root: the user who logged in still decides.
	c.send("su\r")
	c.waitFor("su\r\nPassword: ", 10*time.Second)
	c.send("secret\r")
	c.send("cd /root && echo ROOT-$((6*7))-$(id -u)\r")
	c.waitFor("ROOT-42-0", 15*time.Second)
	if code, body := up("r.bin", data); code != 403 || !strings.Contains(body, "as alice: cannot write in /root: permission denied") {
		t.Fatalf("upload into /root after su: %d %q", code, body)
	}
	if _, err := os.Stat(filepath.Join(root, "root", "r.bin")); err == nil {
		t.Fatal("/root/r.bin written")
	}
	c.send("cd /home/alice && echo BACK-$((6*7))\r")
	c.waitFor("BACK-42", 10*time.Second)
	if code, body := up("a.bin", data); code != 200 || !strings.Contains(body, `"name":"a (1).bin"`) {
		t.Fatalf("upload after su: %d %q", code, body)
	}
	if o := owner(t, filepath.Join(home, "a (1).bin")); o != 1000 {
		t.Fatalf("uploaded after su as uid %d, want alice's 1000", o)
	}
	c.send("exit\r")

	// webssh get, the real verb.
	c.send("webssh get a.bin; echo GOT-$?\r")
	c.waitFor("waiting for the browser", 15*time.Second)
	mt := getOSC.FindStringSubmatch(c.out.String())
	if mt == nil {
		t.Fatalf("no OSC 5379 get in %q", c.out.String())
	}
	tok := mt[1]
	code, body := post(t, base, "/download", nil, map[string]string{webssh.TermHeader: id, webssh.TokenHeader: tok})
	if code != 200 || sha256.Sum256(body) != sha256.Sum256(data) {
		t.Fatalf("download: %d, %d bytes", code, len(body))
	}
	c.waitFor("GOT-0", 10*time.Second)

	log, err := os.ReadFile(filepath.Join(root, "webssh.log"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(log), "\n") {
		if strings.Contains(l, "file transferred") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 3 || !strings.Contains(lines[0], `"user": "alice"`) || !strings.Contains(lines[2], `"direction": "download"`) {
		t.Fatalf("transfer lines in webssh.log:\n%s", strings.Join(lines, "\n"))
	}
}
