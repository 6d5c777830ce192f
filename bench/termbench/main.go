// Command termbench measures a browser terminal in headless Chromium the
// same way for any web terminal page (this repository's webssh or Debian's
// shellinabox): keystroke echo latency and output throughput, both timed
// inside the page.
//
// Usage:
//
//	termbench -url http://127.0.0.1:8001/ [-name webssh] [-cmds 30] [-keys 200] [-lines 200000]
//	termbench -url http://127.0.0.1:8001/ -name webssh -vs shellinabox=http://127.0.0.1:4200/ -keys 0 -lines 0
//
// The page must run a shell (prompt "# " or "$ "). Keystrokes go through
// Chromium's input pipeline (CDP Input.dispatchKeyEvent), as from a
// keyboard. Echo latency is from the keydown event to the DOM mutation
// that shows the echoed character (a MutationObserver on the whole body),
// typed at the shell prompt. Command echo is from the keydown of the Enter
// of a typed `echo abNNNN` to the DOM mutation that shows its output (see
// cmdecho.go), the latency a user feels when running a short command; it
// also reports when that output reached the page. With -vs, a second
// terminal is opened in another tab of the same browser and the commands
// alternate between the two, so that both see the same load. Throughput types `seq 1 N; echo END` and
// times from the Enter keydown until the DOM shows the end marker, i.e.
// every line has passed through the terminal emulator; -profile adds the
// page's hottest functions meanwhile, and -skip-emulator (webssh only)
// times it without xterm.js. Each tab has the DevTools reporting that
// chromedp turns on (network, DOM, CSS) turned off, as for users, who
// have no DevTools open.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/luoyun/osmanager/bench/internal/devtools"
)

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "page of the web terminal")
	flag.StringVar(&o.name, "name", "terminal", "name printed with the figures")
	flag.IntVar(&o.cmds, "cmds", 30, "commands for the command echo latency (0: skip)")
	flag.IntVar(&o.keys, "keys", 200, "keystrokes for the echo latency (0, with -lines 0: skip both)")
	flag.IntVar(&o.lines, "lines", 200000, "lines printed by seq for the throughput (0, with -keys 0: skip both)")
	flag.StringVar(&o.vs, "vs", "", "NAME=URL: a second terminal whose command echo is timed in the same browser, alternating command by command with the first")
	flag.DurationVar(&o.pause, "pause", 0, "wait this long between a command's last character and its Enter, as a person does (0: press it as soon as the command line is in the page)")
	flag.StringVar(&o.disableFeatures, "disable-features", "", "Chromium features to switch off as well (comma-separated; for experiments, e.g. DeferRendererTasksAfterInput)")
	flag.StringVar(&o.resolve, "resolve", "", "NAME=IP[,NAME=IP...]: Chromium resolves these host names to these addresses, so that a page on loopback is reached by a name over plain http (not a secure context, as users reach an instance) instead of as localhost")
	flag.BoolVar(&o.verbose, "v", false, "log progress to stderr")
	flag.BoolVar(&o.profile, "profile", false, "print the page's hottest functions during the seq output")
	flag.BoolVar(&o.skipEmulator, "skip-emulator", false, "webssh's page only: output chunks over 1 KiB without the end marker skip xterm.js (their write callback runs at once), so that seq's figure is the PTY, server, browser and page without the terminal emulator")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up after this long")
	flag.Parse()
	if o.url == "" || o.pause < 0 || o.keys < 0 || o.lines < 0 || (o.keys == 0) != (o.lines == 0) || o.cmds < 0 || o.cmds > maxCmds || o.keys+o.lines+o.cmds == 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: termbench -url URL [-name NAME] [-vs NAME=URL] [-cmds N] [-pause D] [-keys N] [-lines N] [-timeout D] [-resolve NAME=IP] [-disable-features LIST] [-v]")
		os.Exit(2)
	}
	if err := bench(o, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "termbench: %s: %v\n", o.name, err)
		os.Exit(1)
	}
}

type options struct {
	url, name         string
	vs                string // "NAME=URL" of a terminal to compare the command echo with
	keys, lines, cmds int
	verbose           bool
	timeout           time.Duration
	// pause is the wait between a timed command's last character and its
	// Enter (0: the Enter follows as soon as the command line is shown).
	pause time.Duration
	// disableFeatures lists Chromium features switched off on top of
	// chromedp's defaults (experiments only).
	disableFeatures string
	// resolve maps host names to addresses in Chromium's resolver
	// ("NAME=IP,NAME=IP").
	resolve string
	// profile prints the page's hottest functions during the seq output.
	profile bool
	// skipEmulator times the seq output without xterm.js (webssh only).
	skipEmulator bool
}

// chromedpDisabledFeatures is what chromedp's default options switch off;
// -disable-features adds to it (a second --disable-features flag would
// replace it).
const chromedpDisabledFeatures = "site-per-process,Translate,BlinkGenPropertyTrees"

// browserFlags returns the allocator options for the probe's Chromium.
func browserFlags(o options, bin, profile string) []chromedp.ExecAllocatorOption {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.UserDataDir(filepath.Join(profile, "p")),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1024, 768))
	if rules := resolverRules(o.resolve); rules != "" {
		opts = append(opts, chromedp.Flag("host-resolver-rules", rules))
	}
	if o.disableFeatures != "" {
		opts = append(opts, chromedp.Flag("disable-features", chromedpDisabledFeatures+","+o.disableFeatures))
	}
	return opts
}

// resolverRules turns -resolve's "NAME=IP,NAME=IP" into Chromium's
// --host-resolver-rules ("MAP NAME IP,MAP NAME IP"); entries without "="
// are ignored.
func resolverRules(s string) string {
	var rules []string
	for _, e := range strings.Split(s, ",") {
		name, ip, ok := strings.Cut(strings.TrimSpace(e), "=")
		if ok && name != "" && ip != "" {
			rules = append(rules, "MAP "+name+" "+ip)
		}
	}
	return strings.Join(rules, ",")
}

func browser() (string, error) {
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium installed")
}

func bench(o options, out io.Writer) error {
	url, name, keys, lines, timeout := o.url, o.name, o.keys, o.lines, o.timeout
	bin, err := browser()
	if err != nil {
		return err
	}
	profile, err := os.MkdirTemp("", "termbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	opts := browserFlags(o, bin, profile)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer func() { _ = chromedp.Cancel(bctx); cancelB() }()

	logf := func(f string, a ...any) {
		if o.verbose {
			fmt.Fprintf(os.Stderr, "%s %s: %s\n", time.Now().Format("15:04:05.000"), name, fmt.Sprintf(f, a...))
		}
	}
	// Every tab behaves as the focused one (keys typed into the second
	// terminal's tab reach its page as in the first).
	if err := chromedp.Run(bctx, emulation.SetFocusEmulationEnabled(true)); err != nil {
		return err
	}
	if err := openTerminal(bctx, url, func(f string, a ...any) { logf(f, a...) }); err != nil {
		return err
	}
	if o.cmds > 0 {
		if err := compareCmdEcho(bctx, o, out, logf); err != nil {
			return err
		}
	}
	if keys == 0 {
		return nil
	}
	if err := chromedp.Run(bctx, chromedp.Evaluate(probe, nil)); err != nil {
		return err
	}

	// Echo latency: x keys typed at the shell prompt, echoed by the
	// terminal's line discipline; an Enter every 40 keys (the shell then
	// says "xxx…: not found", harmlessly).
	var lat []float64
	for i := 0; i < keys; i++ {
		k := "x"
		if i%40 == 39 {
			k = "\r"
		}
		var before int
		if err := chromedp.Run(bctx, chromedp.Evaluate(`__tb.lat.length`, &before)); err != nil {
			return err
		}
		if err := typeText(bctx, k); err != nil {
			return err
		}
		if k == "\r" {
			continue
		}
		if err := waitFor(bctx, fmt.Sprintf(`__tb.lat.length > %d`, before), 5*time.Second); err != nil {
			return fmt.Errorf("keystroke %d not echoed: %w", i, err)
		}
	}
	if err := chromedp.Run(bctx, chromedp.Evaluate(`__tb.lat`, &lat)); err != nil {
		return err
	}
	var wire []float64
	if err := chromedp.Run(bctx, chromedp.Evaluate(`__tbw.lat`, &wire)); err != nil {
		return err
	}
	logf("%d echoes timed", len(lat))
	if err := typeText(bctx, "\r"); err != nil {
		return err
	}
	if err := waitFor(bctx, `/[#$] *$/m.test(document.body.innerText)`, 10*time.Second); err != nil {
		return fmt.Errorf("no prompt after cat: %w", err)
	}
	cmd := fmt.Sprintf("clear; seq 1 %d; echo TB''DONE\r", lines)
	if err := chromedp.Run(bctx, chromedp.Evaluate(`__tb.mo.disconnect(); __tb.t0 = 0; __tb.t1 = 0; __tb.armed = true; __tb.watch('TBDONE');`, nil)); err != nil {
		return err
	}
	if o.skipEmulator {
		var ok bool
		if err := chromedp.Run(bctx, chromedp.Evaluate(skipEmulator, &ok)); err != nil {
			return err
		}
		if !ok {
			return errors.New("-skip-emulator: the page has no window.webssh.term (not webssh's page)")
		}
	}
	if o.profile {
		if err := devtools.StartProfile(bctx); err != nil {
			return err
		}
	}
	if err := typeText(bctx, cmd); err != nil {
		return err
	}
	logf("flood started")
	// Wait for the in-page observer to see the marker; poll only a
	// variable, so that the measurement adds no DOM scans to the page.
	var secs float64
	deadline := time.Now().Add(timeout - 10*time.Second)
	for {
		ectx, ecancel := context.WithTimeout(bctx, 5*time.Second)
		err := chromedp.Run(ectx, chromedp.Evaluate(`__tb.t1 ? (__tb.t1 - __tb.t0) / 1000 : 0`, &secs))
		ecancel()
		if err != nil {
			logf("evaluate: %v", err)
			if bctx.Err() != nil {
				return err
			}
		}
		if secs > 0 {
			break
		}
		if time.Now().After(deadline) {
			var tail string
			_ = chromedp.Run(bctx, chromedp.Evaluate(`document.body.innerText.slice(-400)`, &tail))
			return fmt.Errorf("seq output never finished; page ends with %q", tail)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if o.skipEmulator {
		var n int
		if err := chromedp.Run(bctx, chromedp.Evaluate(`window.__tbSkipped`, &n)); err != nil {
			return err
		}
		fmt.Fprintf(out, "%-12s seq 1 %d without the emulator: %d chunks skipped xterm.js\n", name, lines, n)
	}
	if o.profile {
		top, err := devtools.StopProfile(bctx, 30)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%-12s hottest functions during seq 1 %d (self time):\n", name, lines)
		for _, l := range top {
			fmt.Fprintf(out, "%-12s   %s\n", name, l)
		}
	}
	sort.Float64s(lat)
	if len(lat) == 0 {
		lat = []float64{0}
	}
	sort.Float64s(wire)
	if len(wire) == 0 {
		wire = []float64{0}
	}
	var transport string
	_ = chromedp.Run(bctx, chromedp.Evaluate(`document.documentElement.getAttribute('data-transport') || ''`, &transport))
	if transport != "" {
		fmt.Fprintf(out, "%-12s transport %s (the page's data-transport)\n", name, transport)
	}
	fmt.Fprintf(out, "%-12s echo p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms (n=%d)   seq 1 %d: %6.2f s = %8.0f lines/s\n",
		name, pct(lat, 50), pct(lat, 99), lat[len(lat)-1], len(lat), lines, secs, float64(lines)/secs)
	fmt.Fprintf(out, "%-12s echo on the wire (keydown -> echo received by the page) p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms (n=%d)\n",
		name, pct(wire, 50), pct(wire, 99), wire[len(wire)-1], len(wire))
	return nil
}

// skipEmulator wraps the write of webssh's terminal so that output
// chunks over 1 KiB holding no 'T' (seq's lines; the end marker TBDONE
// has one) are acknowledged at once instead of parsed and drawn.
const skipEmulator = `(function () {
  var t = window.webssh && window.webssh.term;
  if (!t) return false;
  window.__tbSkipped = 0;
  var write = t.write.bind(t);
  t.write = function (d, cb) {
    if (typeof d !== 'string' && d.length > 1024 && d.indexOf(0x54) < 0) { window.__tbSkipped++; if (cb) cb(); return; }
    return write(d, cb);
  };
  return true;
})()`

// probe records, inside the page, the time from each 'x' keydown to the
// first DOM change that adds an 'x' to the page, and the keydown time of
// the Enter that starts the flood.
const probe = `(function () {
  window.__tb = {lat: [], t0: 0, before: 0, mark: '', armed: false};
  function xs() { var s = document.body.textContent, n = 0, i = -1; while ((i = s.indexOf('x', i + 1)) >= 0) n++; return n; }
  document.addEventListener('keydown', function (e) {
    // The time first: counting takes a while on a long page.
    if (e.key === 'x') { __tb.t0x = performance.now(); __tb.before = xs(); }
    if (e.key === 'Enter' && __tb.armed) { __tb.t0 = performance.now(); __tb.armed = false; }
  }, true);
  __tb.mo = new MutationObserver(function () {
    if (__tb.t0x && xs() > __tb.before) { __tb.lat.push(performance.now() - __tb.t0x); __tb.t0x = 0; }
  });
  __tb.mo.observe(document.body, {subtree: true, childList: true, characterData: true});
  // watch records when a DOM change first adds text containing mark,
  // looking only at what changed.
  __tb.watch = function (mark) {
    var has = function (n) { return n && n.textContent && n.textContent.indexOf(mark) >= 0; };
    var mo = new MutationObserver(function (recs) {
      for (var i = 0; i < recs.length && !__tb.t1; i++) {
        var r = recs[i];
        if (r.type === 'characterData' ? has(r.target) : Array.prototype.some.call(r.addedNodes, has)) {
          __tb.t1 = performance.now();
          mo.disconnect();
        }
      }
    });
    mo.observe(document.body, {subtree: true, childList: true, characterData: true});
  };
})()`

// wireProbe records, inside the page, the time from each 'x' keydown to
// the arrival of the first network message that carries an 'x': a
// websocket message (webssh), a chunk of webssh's HTTP stream (fetch) or
// an XMLHttpRequest response whose terminal data carries it
// (shellinabox), before the terminal emulator
// draws it. It is the same measurement for both terminals, whatever their
// transport.
const wireProbe = `(function () {
  window.__tbw = {lat: [], t0: 0};
  document.addEventListener('keydown', function (e) { if (e.key === 'x') __tbw.t0 = performance.now(); }, true);
  function hit(has) { if (__tbw.t0 && has) { __tbw.lat.push(performance.now() - __tbw.t0); __tbw.t0 = 0; } }
  // markHit records when the output of the command being timed (see
  // cmdProbe) first reaches the page.
  var dec = window.TextDecoder ? new TextDecoder() : null;
  function markHit(d) {
    if (!__tbw.mark || __tbw.markAt) return;
    if (typeof d !== 'string') d = dec ? dec.decode(d) : '';
    if (d.indexOf(__tbw.mark) >= 0) __tbw.markAt = performance.now();
  }
  // sent records when the page first sends something (the Enter) after
  // the command being timed was armed.
  function sent() { if (__tbw.mark && !__tbw.sentAt) __tbw.sentAt = performance.now(); }
  var WS = window.WebSocket;
  if (WS) {
    var wsSend = WS.prototype.send;
    WS.prototype.send = function (d) { sent(); return wsSend.apply(this, arguments); };
    var Wrapped = function (u, p) {
      var ws = p === undefined ? new WS(u) : new WS(u, p);
      ws.addEventListener('message', function (ev) {
        var d = ev.data;
        if (typeof d === 'string' || d instanceof ArrayBuffer) markHit(d);
        if (typeof d === 'string') hit(d.indexOf('x') >= 0);
        else if (d instanceof ArrayBuffer) hit(new Uint8Array(d).indexOf(120) >= 0);
        else hit(true);
      });
      return ws;
    };
    Wrapped.prototype = WS.prototype;
    ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].forEach(function (k) { Wrapped[k] = WS[k]; });
    window.WebSocket = Wrapped;
  }
  // XMLHttpRequest (shellinabox): terminal output comes as JSON with a
  // "data" string; other replies (the HTML "OK" page answering a keys
  // request) carry no output. The listener is added when the request is
  // constructed, so that it runs before the page's own handler, which
  // draws the output synchronously.
  var XHR = window.XMLHttpRequest;
  var xhrSend = XHR.prototype.send;
  XHR.prototype.send = function (b) { if (b) sent(); return xhrSend.apply(this, arguments); };
  var WrappedXHR = function () {
    var x = new XHR();
    x.addEventListener('readystatechange', function () {
      if (x.readyState !== 4) return;
      var d = null;
      try { d = JSON.parse(String(x.responseText)).data; } catch (e) {}
      if (typeof d === 'string') { markHit(d); hit(d.indexOf('x') >= 0); }
    });
    return x;
  };
  WrappedXHR.prototype = XHR.prototype;
  ['UNSENT', 'OPENED', 'HEADERS_RECEIVED', 'LOADING', 'DONE'].forEach(function (k) { WrappedXHR[k] = XHR[k]; });
  window.XMLHttpRequest = WrappedXHR;
  // fetch (webssh's HTTP transport, behind a proxy without websockets):
  // output comes on the reader of the POST /stream response.
  var F = window.fetch;
  if (F) window.fetch = function (u, o) {
    if (/input$/.test(String(u))) sent();
    return F.call(window, u, o).then(function (r) {
      if (!/stream$/.test(String(u)) || !r.body) return r;
      var getReader = r.body.getReader.bind(r.body);
      r.body.getReader = function () {
        var rd = getReader(), read = rd.read.bind(rd);
        rd.read = function () {
          return read().then(function (x) { if (!x.done) { markHit(x.value); hit(x.value.indexOf(120) >= 0); } return x; });
        };
        return rd;
      };
      return r;
    });
  };
})()`

func pct(v []float64, p int) float64 {
	if len(v) == 0 {
		return 0
	}
	i := (len(v)*p + 99) / 100
	if i > 0 {
		i--
	}
	return v[i]
}

// pollEvery is how often waitFor asks the page; each ask runs script on
// the page's main thread, so asking too often delays the very events
// being timed.
const pollEvery = 20 * time.Millisecond

func waitFor(ctx context.Context, expr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		var ok bool
		if err := chromedp.Run(ctx, chromedp.Evaluate(expr, &ok)); err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", expr)
		}
		time.Sleep(pollEvery)
	}
}

// typeText sends keys as a keyboard does: a keyDown carrying the text and
// a keyUp per character; "\r" is Enter.
func typeText(ctx context.Context, s string) error {
	return chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		for _, r := range s {
			k, code, vk, text := string(r), "", int64(0), string(r)
			if r == '\r' {
				k, code, vk = "Enter", "Enter", 13
			} else if r >= 'a' && r <= 'z' {
				code, vk = "Key"+string(r-32), int64(r-32)
			}
			down := input.DispatchKeyEvent(input.KeyDown).WithKey(k).WithText(text).WithUnmodifiedText(text)
			up := input.DispatchKeyEvent(input.KeyUp).WithKey(k)
			if code != "" {
				down, up = down.WithCode(code), up.WithCode(code)
			}
			if vk != 0 {
				down = down.WithWindowsVirtualKeyCode(vk).WithNativeVirtualKeyCode(vk)
				up = up.WithWindowsVirtualKeyCode(vk).WithNativeVirtualKeyCode(vk)
			}
			if err := down.Do(ctx); err != nil {
				return err
			}
			if err := up.Do(ctx); err != nil {
				return err
			}
		}
		return nil
	}))
}
