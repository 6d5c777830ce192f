package webssh

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/luoyun/osmanager/internal/browsertest"
)

// openPage opens the terminal page at url, gives the terminal the
// keyboard and waits for prompt (the shell's prompt character, or
// "login:") in its rows.
func openPage(ctx context.Context, t *testing.T, url, prompt string) {
	t.Helper()
	if err := chromedp.Run(ctx,
		chromedp.Navigate(url),
		chromedp.WaitReady(`.xterm-rows`, chromedp.ByQuery),
		chromedp.Focus(`.xterm-helper-textarea`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "the prompt "+prompt, rowsHave("has", prompt))
}

// typeMarkedEchoes runs n commands `echo PREFIX$((100+k))` (k = 1..n):
// before each it sets PROBE.mark to the output the page's probe looks
// for (PREFIX101, PREFIX102, ...), then waits until done, a JS format
// with the count of outputs seen so far, holds.
func typeMarkedEchoes(ctx context.Context, t *testing.T, probe, prefix string, n int, what, done string) {
	t.Helper()
	for i := 0; i < n; i++ {
		mark := fmt.Sprintf("%s%d", prefix, 101+i)
		if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`%s.mark = %q`, probe, mark), nil)); err != nil {
			t.Fatal(err)
		}
		mustType(ctx, t, fmt.Sprintf("echo %s$((100+%d))\r", prefix, i+1))
		waitJS(ctx, t, mark+" "+what, fmt.Sprintf(done, i+1))
	}
}

// TestOutputDrawnWithoutWaitingForAFrame checks that the short output of
// a typed command is put into the DOM as soon as it arrives, not on the
// next animation frame (where xterm.js draws by default, up to 16.7 ms
// later): the latency a user feels and bench/termbench measures.
func TestOutputDrawnWithoutWaitingForAFrame(t *testing.T) {
	ctx := browsertest.New(t, 90*time.Second)
	s := startServer(t, Config{})
	// Mutations of the rows are sorted by where they happen: inside a
	// callback of the browser's own animation frames (taken at its end) or
	// outside one (the observer's own callback). The browser's
	// requestAnimationFrame is wrapped before the page's scripts run.
	if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(`(function () {
		window.__df = {direct: 0, framed: 0, mark: '', mo: null};
		window.__df.check = function (recs, how) {
			if (__df.mark && recs.some(function (r) { return (r.target.textContent || '').indexOf(__df.mark) >= 0; })) {
				__df[how]++;
				__df.mark = '';
			}
		};
		var raf = window.requestAnimationFrame;
		window.requestAnimationFrame = function (cb) {
			return raf.call(window, function (ts) { try { cb(ts); } finally { if (__df.mo) __df.check(__df.mo.takeRecords(), 'framed'); } });
		};
	})()`).Do(ctx)
		return err
	})); err != nil {
		t.Fatal(err)
	}
	openPage(ctx, t, s.URL(), "#")
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(function () {
		__df.mo = new MutationObserver(function (recs) { __df.check(recs, 'direct'); });
		__df.mo.observe(document.querySelector('.xterm-rows'), {subtree: true, childList: true, characterData: true});
	})()`, nil)); err != nil {
		t.Fatal(err)
	}
	const n = 6
	typeMarkedEchoes(ctx, t, "__df", "dr", n, "drawn", `__df.direct + __df.framed === %d`)
	var direct int
	if err := chromedp.Run(ctx, chromedp.Evaluate(`__df.direct`, &direct)); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of %d outputs drawn at once, %d on an animation frame", direct, n, n-direct)
	// A frame may come between the message and its parsing now and then;
	// xterm.js's default draws every one on a frame.
	if direct < n/2 {
		t.Errorf("only %d of %d command outputs drawn without waiting for an animation frame", direct, n)
	}
}

// TestTypedOutputParsedAtOnce checks that the output of a typed command
// is parsed, and drawn, in the task that received it: xterm.js parses a
// write on a timer task unless it follows user input, and after a key
// Chromium holds timer tasks until its next frame. Each message carrying
// the command's output is checked when the page's handler has returned:
// its text must be in the rows by then.
func TestTypedOutputParsedAtOnce(t *testing.T) {
	ctx := browsertest.New(t, 90*time.Second)
	s := startServer(t, Config{})
	if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(`(function () {
		window.__po = {now: 0, later: 0, slow: 0, mark: '', enterAt: 0};
		document.addEventListener('keydown', function (e) { if (e.key === 'Enter') __po.enterAt = performance.now(); }, true);
		var dec = new TextDecoder(), WS = window.WebSocket;
		window.WebSocket = function (u, p) {
			var ws = p === undefined ? new WS(u) : new WS(u, p);
			var d = Object.getOwnPropertyDescriptor(WS.prototype, 'onmessage');
			Object.defineProperty(ws, 'onmessage', {set: function (fn) {
				d.set.call(ws, function (ev) {
					fn.call(this, ev);
					var m = __po.mark;
					if (m && ev.data instanceof ArrayBuffer && dec.decode(ev.data).indexOf(m) >= 0) {
						var k = document.querySelector('.xterm-rows').textContent.indexOf(m) >= 0 ? 'now' : 'later';
						// Past the page's 500 ms, output no longer answers the key.
						if (performance.now() - __po.enterAt > 400) k = 'slow';
						__po[k]++;
						__po.mark = '';
					}
				});
			}, get: function () { return d.get.call(ws); }});
			return ws;
		};
		window.WebSocket.prototype = WS.prototype;
		['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].forEach(function (k) { window.WebSocket[k] = WS[k]; });
	})()`).Do(ctx)
		return err
	})); err != nil {
		t.Fatal(err)
	}
	openPage(ctx, t, s.URL(), "#")
	const n = 6
	typeMarkedEchoes(ctx, t, "__po", "po", n, "received", `__po.now + __po.later + __po.slow === %d`)
	var later, slow int
	if err := chromedp.Run(ctx, chromedp.Evaluate(`__po.later`, &later), chromedp.Evaluate(`__po.slow`, &slow)); err != nil {
		t.Fatal(err)
	}
	if slow > 0 {
		t.Logf("%d of %d outputs came over 400 ms after their Enter (a busy machine): not counted", slow, n)
	}
	if later > 0 || slow > n/2 {
		t.Errorf("%d of %d command outputs were not in the rows when the message that carried them had been handled (%d not counted)", later, n-slow, slow)
	}
}

// TestFloodDrawnLessOften checks that while xterm.js has a backlog of
// output it has not parsed, the page draws at most every 100 ms instead
// of on every frame, and still draws. The backlog is made by a parser
// hook (xterm.js's public API) that takes 5 ms for each of 300 OSC 7770
// sequences the shell prints at once, yielding to the browser between
// them, so that frames come and go while it lasts. Draws in the first 600 ms after
// the Enter are not counted: output then may answer the key and is drawn
// at once.
func TestFloodDrawnLessOften(t *testing.T) {
	ctx := browsertest.New(t, 90*time.Second)
	s := startServer(t, Config{})
	openPage(ctx, t, s.URL(), "#")
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(function () {
		window.__fl = {draws: [], enterAt: 0, lastHook: 0};
		webssh.term.parser.registerOscHandler(7770, function () {
			return new Promise(function (done) {
				setTimeout(function () { __fl.lastHook = performance.now(); done(true); }, 5);
			});
		});
		document.addEventListener('keydown', function (e) { if (e.key === 'Enter') __fl.enterAt = performance.now(); }, true);
		new MutationObserver(function () { __fl.draws.push(performance.now()); })
			.observe(document.querySelector('.xterm-rows'), {subtree: true, childList: true, characterData: true});
	})()`, nil)); err != nil {
		t.Fatal(err)
	}
	// One printf: the flood reaches the page in one piece, so that the
	// backlog lasts until its end however the shell is scheduled.
	mustType(ctx, t, `printf 'fl %d\033]7770;x\007\n' $(seq 300); echo fl''end`+"\r")
	waitJS(ctx, t, "the end of the flood", rowsHave("eq", "flend"))
	var gaps []float64
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(function () {
		var d = __fl.draws.filter(function (t) { return t > __fl.enterAt + 600 && t < __fl.lastHook; });
		return d.slice(1).map(function (t, i) { return t - d[i]; });
	})()`, &gaps)); err != nil {
		t.Fatal(err)
	}
	if len(gaps) < 2 {
		t.Fatalf("%d draws in the backlog's last 900 ms or more: the flood is not shown while it lasts", len(gaps)+1)
	}
	t.Logf("%d draws during the backlog, %.0f ms apart at least", len(gaps)+1, minOf(gaps))
	// Frames come every 16.7 ms; drawn at most every 100 ms, two draws
	// are apart by 100 ms less a frame's jitter at least.
	close := 0
	for _, g := range gaps {
		if g < 80 {
			close++
		}
	}
	if close > 0 {
		t.Errorf("%d of %d draws during the backlog came under 80 ms after the one before (the closest %.0f ms): drawn on frames, not at most every 100 ms", close, len(gaps), minOf(gaps))
	}
}

func minOf(v []float64) float64 {
	m := v[0]
	for _, x := range v[1:] {
		m = min(m, x)
	}
	return m
}
