package integration

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luoyun/osmanager/pkg/termproto"
	"github.com/luoyun/osmanager/pkg/webssh"
)

// TestHeldBodiesFlood: 4,300 connections holding a POST /input body that
// never comes (half with a live session id), from three addresses, do not
// exhaust webssh under the file limit SysV and upstart give (1024:4096):
// a visitor from another address gets the page and a terminal within a
// second, every held connection is closed within 30 s, webssh's memory
// grows by at most 10 MB and its log has no "too many open files".
func TestHeldBodiesFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("floods webssh with 4,300 connections")
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("no prlimit (util-linux)")
	}
	dir := t.TempDir()
	port := freePort(t)
	set := filepath.Join(dir, "s.toml")
	mustWrite(t, set, "[webssh]\ncommand = [\"/bin/cat\"]\n", 0o600)
	conf := filepath.Join(dir, "luoyun.conf")
	mustWrite(t, conf, "JSON={\"webssh\": {\"status\": \"enable\"}}\n", 0o600)
	logFile := filepath.Join(dir, "webssh.log")
	cmd := exec.Command(prlimit, "--nofile=1024:4096", filepath.Join(binDir(t), "webssh"),
		"--settings", set, "-c", conf, "--listen-addr", "127.0.0.1", "-p", strconv.Itoa(port), "-l", logFile)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d/", port)
	if !waitFor(20*time.Second, func() bool {
		resp, err := http.Get(base)
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}) {
		t.Fatal("webssh did not serve its page")
	}
	// The attacker's own session, for a live id.
	attacker := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
	id, _ := openTerminal(t, attacker, base)
	before := rssKB(t, cmd.Process.Pid)

	const n = 4300
	held := make([]net.Conn, n)
	var wg sync.WaitGroup
	var next atomic.Int64
	start := time.Now()
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				held[i] = holdBody(port, byte(2+i%3), i%2 == 0, id)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d held bodies opened in %s", n, time.Since(start).Round(time.Millisecond))
	during := rssKB(t, cmd.Process.Pid)

	// A visitor from another address: the page, then a terminal.
	visitor := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	t0 := time.Now()
	resp, err := visitor.Get(base)
	if err != nil {
		t.Fatalf("visitor's page: %v", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pageTime := time.Since(t0)
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte("<title>")) {
		t.Fatalf("visitor's page: %s %.80q", resp.Status, page)
	}
	t1 := time.Now()
	_, echo := openTerminal(t, visitor, base)
	termTime := time.Since(t1)
	t.Logf("visitor: page in %s, terminal (session id) in %s; webssh RSS %d kB before, %d kB during", pageTime.Round(time.Millisecond), termTime.Round(time.Millisecond), before, during)
	if pageTime > time.Second || termTime > time.Second {
		t.Errorf("visitor waited %s for the page and %s for a terminal, want within a second each", pageTime, termTime)
	}
	if got := echo("hello\n"); !strings.Contains(got, "hello") {
		t.Errorf("visitor's terminal echoed %q, want hello", got)
	}
	if growth := during - before; growth > 10<<10 {
		t.Errorf("webssh RSS grew by %d kB with the held bodies, want at most 10 MB", growth)
	}

	// Every held connection ends within 30 s of the flood.
	deadline := start.Add(30 * time.Second)
	open := 0
	for _, c := range held {
		if c == nil {
			continue
		}
		_ = c.SetReadDeadline(deadline)
		if _, err := io.Copy(io.Discard, c); err != nil && os.IsTimeout(err) {
			open++
		}
		c.Close()
	}
	if open > 0 {
		t.Errorf("%d held bodies still open 30 s after the flood began", open)
	}
	if log, _ := os.ReadFile(logFile); bytes.Contains(log, []byte("too many open files")) {
		t.Errorf("webssh.log: too many open files")
	}
}

// holdBody opens a connection from 127.0.0.last and sends the headers of
// a POST /input whose body never comes; nil when webssh took none.
func holdBody(port int, last byte, withID bool, id string) net.Conn {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, last)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil
	}
	hdr := fmt.Sprintf("POST /input HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n", port)
	if withID {
		hdr += webssh.SessionHeader + ": " + id + "\r\n"
	}
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, hdr+"\r\n"); err != nil {
		c.Close()
		return nil
	}
	return c
}

// openTerminal opens a session on the HTTP transport and returns its id
// and a function that sends input and returns the output that follows
// within 10 s.
func openTerminal(t *testing.T, hc *http.Client, base string) (string, func(string) string) {
	t.Helper()
	resp, err := hc.Post(base+"stream", "application/octet-stream", nil)
	if err != nil {
		t.Fatalf("POST /stream: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("POST /stream: %s", resp.Status)
	}
	r := bufio.NewReader(resp.Body)
	kind, id, err := termproto.ReadFrame(r)
	if err != nil || kind != termproto.FrameSession {
		t.Fatalf("stream's first frame: %d %q %v", kind, id, err)
	}
	frames := make(chan []byte, 100)
	go func() {
		defer close(frames)
		for {
			k, p, err := termproto.ReadFrame(r)
			if err != nil {
				return
			}
			if k == termproto.FrameOutput {
				frames <- p
			}
		}
	}()
	return string(id), func(in string) string {
		req, _ := http.NewRequest(http.MethodPost, base+"input", bytes.NewReader(termproto.AppendBatch(nil, termproto.Input([]byte(in)))))
		req.Header.Set(webssh.SessionHeader, string(id))
		if resp, err := hc.Do(req); err != nil {
			t.Errorf("POST /input: %v", err)
		} else {
			resp.Body.Close()
		}
		var out []byte
		timeout := time.After(10 * time.Second)
		for !bytes.Contains(out, []byte(strings.TrimSpace(in))) {
			select {
			case p, ok := <-frames:
				if !ok {
					return string(out)
				}
				out = append(out, p...)
			case <-timeout:
				return string(out)
			}
		}
		return string(out)
	}
}
