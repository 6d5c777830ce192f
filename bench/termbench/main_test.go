package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/nginxtest"
	"github.com/luoyun/osmanager/internal/termtest"
)

var (
	echoLine = regexp.MustCompile(`(?m)^(\S+) +echo p50 +([0-9.]+) ms +p99 +([0-9.]+) ms +max +([0-9.]+) ms \(n=(\d+)\) +seq 1 (\d+): +([0-9.]+) s = +(\d+) lines/s$`)
	cmdLine  = regexp.MustCompile(`(?m)^(\S+) +command echo \(Enter -> output in the DOM\) median +([0-9.]+) ms +p90 +([0-9.]+) ms +max +([0-9.]+) ms \(n=(\d+)\)$`)
	cmdWire  = regexp.MustCompile(`(?m)^(\S+) +command echo \(Enter -> output received by the page\) median +([0-9.]+) ms +p90 +([0-9.]+) ms +max +([0-9.]+) ms \(n=(\d+)\)$`)
	wireLine = regexp.MustCompile(`(?m)^(\S+) +echo on the wire \(keydown -> echo received by the page\) p50 +([0-9.]+) ms +p99 +([0-9.]+) ms +max +([0-9.]+) ms \(n=(\d+)\)$`)
)

func needChromium(t *testing.T) {
	if _, err := browser(); err != nil {
		t.Skip("no chromium installed (apt-get install chromium): skipping the browser probe")
	}
}

// checkFigures runs the probe and checks both lines of figures.
func checkFigures(t *testing.T, o options) string {
	t.Helper()
	var out bytes.Buffer
	if err := bench(o, &out); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	checkCmdEcho(t, out.String(), o.cmds, o.name)
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
	return out.String()
}

// checkCmdEcho checks the command echo figures of each named terminal:
// n samples, ordered, and the page receiving the output before showing
// it.
func checkCmdEcho(t *testing.T, out string, n int, names ...string) {
	t.Helper()
	f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	dom, wire := cmdLine.FindAllStringSubmatch(out, -1), cmdWire.FindAllStringSubmatch(out, -1)
	if len(dom) != len(names) || len(wire) != len(names) {
		t.Fatalf("want command echo figures for %v, got %q", names, out)
	}
	for i, name := range names {
		d, w := dom[i], wire[i]
		if d[1] != name || w[1] != name || d[5] != strconv.Itoa(n) {
			t.Errorf("figures %q %q, want %s with n=%d", d[0], w[0], name, n)
		}
		if !(0 < f(d[2]) && f(d[2]) <= f(d[3]) && f(d[3]) <= f(d[4])) {
			t.Errorf("DOM figures out of order: %q", d[0])
		}
		// Each command's output comes in one message here (short output
		// on loopback), received before it is shown.
		if w[5] == "0" || !(0 < f(w[2]) && f(w[2]) <= f(d[2]) && f(w[4]) <= f(d[4])) {
			t.Errorf("wire figures %q against %q", w[0], d[0])
		}
	}
}

// TestCmdEchoSideBySide times commands in webssh and shellinabox in one
// browser, alternating, as bench/webssh.sh does.
func TestCmdEchoSideBySide(t *testing.T) {
	needChromium(t)
	siab := termtest.Shellinabox(t)
	var out bytes.Buffer
	o := options{url: termtest.Webssh(t), name: "webssh", vs: "shellinabox=" + siab, cmds: 5, timeout: 2 * time.Minute}
	if err := bench(o, &out); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	checkCmdEcho(t, out.String(), 5, "webssh", "shellinabox")
}

func TestWebssh(t *testing.T) {
	needChromium(t)
	checkFigures(t, options{url: termtest.Webssh(t), name: "webssh", keys: 10, lines: 2000, cmds: 3, timeout: 2 * time.Minute})
}

// TestWebsshThroughNginx: behind the cloud's proxy the page uses the HTTP
// transport, and the wire probe sees its stream.
func TestWebsshThroughNginx(t *testing.T) {
	needChromium(t)
	u := termtest.Webssh(t)
	p := nginxtest.Start(t, strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/"))
	out := checkFigures(t, options{url: p.URL, name: "webssh", keys: 10, lines: 2000, cmds: 3, timeout: 2 * time.Minute})
	if !strings.Contains(out, "webssh       transport http ") {
		t.Fatalf("output %q does not name the HTTP transport", out)
	}
}

func TestShellinabox(t *testing.T) {
	needChromium(t)
	checkFigures(t, options{url: termtest.Shellinabox(t), name: "shellinabox", keys: 10, lines: 50, cmds: 3, timeout: 2 * time.Minute})
}

// TestCmdEchoPause: -pause waits before each timed Enter (the wait is not
// timed), and -disable-features keeps chromedp's own list and adds to it.
func TestCmdEchoPause(t *testing.T) {
	plain := browserFlags(options{}, "chromium", t.TempDir())
	more := browserFlags(options{disableFeatures: "DeferRendererTasksAfterInput"}, "chromium", t.TempDir())
	if len(more) != len(plain)+1 {
		t.Errorf("-disable-features: %d allocator options, want %d", len(more), len(plain)+1)
	}
	needChromium(t)
	o := options{url: termtest.Webssh(t), name: "webssh", cmds: 3, pause: 400 * time.Millisecond,
		disableFeatures: "DeferRendererTasksAfterInput", timeout: 2 * time.Minute}
	var out bytes.Buffer
	start := time.Now()
	if err := bench(o, &out); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Duration(o.cmds)*o.pause {
		t.Errorf("%d commands with -pause %v took %v", o.cmds, o.pause, d)
	}
	t.Log(out.String())
	checkCmdEcho(t, out.String(), o.cmds, o.name)
	// The pause is not part of the figure.
	if m := cmdLine.FindStringSubmatch(out.String()); m == nil {
		t.Fatalf("output %q", out.String())
	} else if v, _ := strconv.ParseFloat(m[4], 64); v >= float64(o.pause/time.Millisecond) {
		t.Errorf("max %v ms includes the pause of %v", v, o.pause)
	}
}

func TestResolverRules(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "",
		"instance.test=127.0.0.1":      "MAP instance.test 127.0.0.1",
		"a.test=127.0.0.1, b.test=::1": "MAP a.test 127.0.0.1,MAP b.test ::1",
		"noequals,=1.2.3.4,x=":         "",
	} {
		if got := resolverRules(in); got != want {
			t.Errorf("resolverRules(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestByName: with -resolve the page is opened by a host name over plain
// http, not a secure context (as users reach an instance), and the
// figures say so.
func TestByName(t *testing.T) {
	needChromium(t)
	u := strings.Replace(termtest.Webssh(t), "127.0.0.1", termtest.Name, 1)
	var out bytes.Buffer
	o := options{url: u, name: "webssh", resolve: termtest.Name + "=127.0.0.1", cmds: 3, timeout: 2 * time.Minute}
	if err := bench(o, &out); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	checkCmdEcho(t, out.String(), 3, "webssh")
	want := "webssh       page " + strings.TrimSuffix(u, "/") + " (not a secure context), transport websocket\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("output %q lacks %q", out.String(), want)
	}
}

// TestSkipEmulatorAndProfile: -skip-emulator keeps seq's lines from
// xterm.js (and says in how many chunks) but still finds the end marker;
// -profile lists the page's hottest functions; a page that is not
// webssh's cannot skip its emulator.
func TestSkipEmulatorAndProfile(t *testing.T) {
	needChromium(t)
	var out bytes.Buffer
	o := options{url: termtest.Webssh(t), name: "webssh", keys: 5, lines: 20000, skipEmulator: true, profile: true, timeout: 2 * time.Minute}
	if err := bench(o, &out); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	skipped := regexp.MustCompile(`(?m)^webssh +seq 1 20000 without the emulator: (\d+) chunks skipped xterm\.js$`).FindStringSubmatch(out.String())
	if skipped == nil || skipped[1] == "0" {
		t.Errorf("no chunk of seq's output skipped xterm.js: %q", out.String())
	}
	if n := len(regexp.MustCompile(`(?m)^webssh +[ 0-9.]+% \S`).FindAllString(out.String(), -1)); n < 5 {
		t.Errorf("%d profile lines, want the hottest functions", n)
	}
	if echoLine.FindString(out.String()) == "" {
		t.Errorf("no figures: %q", out.String())
	}
	o = options{url: termtest.Shellinabox(t), name: "shellinabox", keys: 5, lines: 50, skipEmulator: true, timeout: time.Minute}
	if err := bench(o, &out); err == nil || !strings.Contains(err.Error(), "not webssh's page") {
		t.Errorf("-skip-emulator on shellinabox: %v", err)
	}
}
