package websshcmd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/internal/testbin"
	"github.com/luoyun/osmanager/internal/vmboot"
	"github.com/luoyun/osmanager/pkg/termproto"
)

// term is a websocket client of a session that acknowledges its output.
type term struct {
	t     *testing.T
	ws    *websocket.Conn
	out   bytes.Buffer
	total uint32
}

func (c *term) waitFor(want string, d time.Duration) {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(d))
	for !strings.Contains(c.out.String(), want) {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			c.t.Fatalf("waiting for %q: %v; output %q", want, err, c.out.String())
		}
		if kind == websocket.BinaryMessage {
			c.out.Write(data)
			c.total += uint32(len(data))
			_ = c.ws.WriteMessage(websocket.BinaryMessage, termproto.Ack(c.total).AppendMarshal(nil))
		}
	}
}

func (c *term) send(s string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.BinaryMessage, termproto.Input([]byte(s)).AppendMarshal(nil)); err != nil {
		c.t.Fatal(err)
	}
}

// dialTerm opens a session, retrying while the server starts.
func dialTerm(t *testing.T, url string, done <-chan error) *term {
	t.Helper()
	var ws *websocket.Conn
	var err, ended error
	if !poll.Wait(poll.Timeout, func() bool {
		select {
		case ended = <-done:
			return true
		default:
		}
		ws, _, err = websocket.DefaultDialer.Dial(url, nil)
		return err == nil
	}) {
		t.Fatalf("dial %s: %v", url, err)
	}
	if ws == nil {
		t.Fatalf("webssh ended: %v", ended)
	}
	t.Cleanup(func() { ws.Close() })
	return &term{t: t, ws: ws}
}

// securettyRoot lays out a busybox system whose /etc/securetty lists no
// pseudo terminal, as CentOS 6/7 ship it: busybox login refuses root on
// a pty. root and alice have the password "secret".
func securettyRoot(t *testing.T, webssh string, loginFront bool) string {
	t.Helper()
	busybox := "/bin/busybox"
	if !vmboot.IsStatic(busybox) {
		t.Skip("skipping: no static busybox (apt-get install busybox-static)")
	}
	hash, err := exec.Command(busybox, "mkpasswd", "-m", "sha512", "secret", "wsguard1").Output()
	if err != nil {
		t.Fatalf("mkpasswd: %v", err)
	}
	h := strings.TrimSpace(string(hash))
	r := t.TempDir()
	files := []struct {
		path string
		mode os.FileMode
		data string
	}{
		{"etc/passwd", 0o644, "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:alice:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
		{"etc/shadow", 0o600, "root:" + h + ":20000:0:99999:7:::\nalice:" + h + ":20000:0:99999:7:::\nnobody:*:20000:0:99999:7:::\n"},
		{"etc/group", 0o644, "root:x:0:\nalice:x:1000:\nnogroup:x:65534:\n"},
		{"etc/securetty", 0o644, "console\ntty1\nttyS0\n"},
		{"etc/shells", 0o644, "/bin/sh\n"},
		{"s.toml", 0o644, "[webssh]\nlogin_front = " + strconv.FormatBool(loginFront) + "\n"},
	}
	for _, d := range []string{"bin", "etc", "root", "proc", "dev", "tmp"} {
		if err := os.MkdirAll(filepath.Join(r, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(r, f.path), []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	for src, dst := range map[string]string{busybox: "bin/busybox", webssh: "bin/webssh"} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r, dst), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Busybox-based images install busybox setuid for its su.
	if err := os.Chmod(filepath.Join(r, "bin/busybox"), os.ModeSetuid|0o755); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"sh", "login", "su", "id"} {
		if err := os.Symlink("busybox", filepath.Join(r, "bin", l)); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// startChrooted runs webssh in root, in a mount namespace of its own (proc
// and /dev mounted there), on a free loopback port.
func startChrooted(t *testing.T, root string) (string, <-chan error) {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c",
		`mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && exec chroot "$0" /bin/webssh --settings /s.toml --listen-addr 127.0.0.1 -p "$1" -l /webssh.log`,
		root, strconv.Itoa(port))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(root, "webssh.log"))
			t.Logf("webssh stderr: %s\nwebssh.log:\n%s", stderr.String(), log)
		}
	})
	return "ws://127.0.0.1:" + strconv.Itoa(port) + "/ws", done
}

// TestRootLoginSecuretty: on a system whose login refuses root on
// unlisted ttys and whose /etc/securetty lists no pts, root logs in
// through the web terminal with the shipped defaults (the login front
// hands root to su), another user still goes through login, and without
// the front (plain /bin/login, as before) root is refused.
func TestRootLoginSecuretty(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root (chroot, mount namespace)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skipf("skipping: %v", err)
	}
	bin := testbin.Path(t, "webssh")
	host, _ := os.Hostname()

	t.Run("defaults", func(t *testing.T) {
		url, done := startChrooted(t, securettyRoot(t, bin, true))
		for _, who := range []string{"root", "alice"} {
			c := dialTerm(t, url, done)
			c.waitFor(host+" login: ", 10*time.Second)
			c.send(who + "\r")
			c.waitFor("Password: ", 10*time.Second)
			c.send("secret\r")
			c.send("echo ns-$((6*7)) $(id -un)\r")
			c.waitFor("ns-42 "+who, 15*time.Second)
		}
	})
	t.Run("plain login refuses root", func(t *testing.T) {
		url, done := startChrooted(t, securettyRoot(t, bin, false))
		c := dialTerm(t, url, done)
		c.waitFor("login: ", 10*time.Second)
		c.send("root\r")
		// busybox login refuses root on an unlisted tty at once; a PAM
		// login with pam_securetty asks for the password first.
		c.waitFor("Login incorrect", 15*time.Second)
	})
}
