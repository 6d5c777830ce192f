package main

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"os/user"
	"regexp"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/luoyun/osmanager/internal/servetest"
	"github.com/luoyun/osmanager/pkg/webssh"
)

var (
	echoLine = regexp.MustCompile(`(?m)^(\S+) +echo p50 +([0-9.]+) ms +p99 +([0-9.]+) ms +max +([0-9.]+) ms \(n=(\d+)\) +seq 1 (\d+): +([0-9.]+) s = +(\d+) lines/s$`)
	wireLine = regexp.MustCompile(`(?m)^(\S+) +echo on the wire \(keydown -> echo received by the page\) p50 +([0-9.]+) ms +p99 +([0-9.]+) ms +max +([0-9.]+) ms \(n=(\d+)\)$`)
)

func needChromium(t *testing.T) {
	if _, err := browser(); err != nil {
		t.Skip("no chromium installed (apt-get install chromium): skipping the browser probe")
	}
}

// checkFigures runs the probe and checks both lines of figures.
func checkFigures(t *testing.T, o options) {
	t.Helper()
	var out bytes.Buffer
	if err := bench(o, &out); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	m := echoLine.FindStringSubmatch(out.String())
	w := wireLine.FindStringSubmatch(out.String())
	if m == nil || w == nil {
		t.Fatalf("output %q", out.String())
	}
	f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	if m[1] != o.name || m[5] != strconv.Itoa(o.keys) || m[6] != strconv.Itoa(o.lines) {
		t.Errorf("name/n/lines %q %q %q, want %q %d %d", m[1], m[5], m[6], o.name, o.keys, o.lines)
	}
	if !(0 < f(m[2]) && f(m[2]) <= f(m[3]) && f(m[3]) <= f(m[4]) && f(m[7]) > 0) {
		t.Errorf("DOM figures out of order: %q", m[0])
	}
	// The page receives the echo before it can draw it.
	if w[5] != m[5] || !(0 < f(w[2]) && f(w[2]) <= f(w[3]) && f(w[2]) <= f(m[2])) {
		t.Errorf("wire figures %q against %q", w[0], m[0])
	}
}

func TestWebssh(t *testing.T) {
	needChromium(t)
	s, err := webssh.New(webssh.Config{Addr: "127.0.0.1:0", Command: []string{"/bin/sh"}, MaxSessions: 2, Grace: 500 * time.Millisecond}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	servetest.Start(t, s)
	checkFigures(t, options{url: s.URL(), name: "webssh", keys: 10, lines: 2000, timeout: 2 * time.Minute})
}

func TestShellinabox(t *testing.T) {
	needChromium(t)
	bin, err := exec.LookPath("shellinaboxd")
	if err != nil {
		t.Skip("shellinaboxd not installed (apt-get install shellinabox): skipping the comparison server")
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-t", "--localhost-only", "--no-beep", "-p", strconv.Itoa(port),
		"-s", "/:"+u.Username+":"+g.Name+":/:/bin/sh")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("shellinaboxd does not listen")
		}
		time.Sleep(50 * time.Millisecond)
	}
	checkFigures(t, options{url: fmt.Sprintf("http://127.0.0.1:%d/", port), name: "shellinabox", keys: 10, lines: 50, timeout: 2 * time.Minute})
}
