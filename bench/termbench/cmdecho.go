package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/luoyun/osmanager/bench/internal/devtools"
)

// cmdMarkBase numbers the command echo samples: `echo ab1000`,
// `echo ab1001`, ... Fixed-width numbers keep every mark from being a
// part of another.
const cmdMarkBase = 1000

// maxCmds bounds -cmds so that the marks stay four digits wide.
const maxCmds = 9000

// cmdProbe, evaluated in the page once the shell prompt shows, times a
// typed command the way a user sees it: from the keydown of its Enter to
// the first DOM change after which the page's text holds the command's
// output. A MutationObserver on the whole body does the timing: no
// polling. Marks are counted in document.body.textContent, which holds
// both terminals' rows (xterm.js's DOM renderer and shellinabox's
// lines); the typed command line holds the mark once, its output adds it
// once more.
const cmdProbe = `(function () {
  function count(s) { var t = document.body.textContent, n = 0, i = -1; while ((i = t.indexOf(s, i + 1)) >= 0) n++; return n; }
  function when(ok, ms, what) {
    return new Promise(function (resolve, reject) {
      var mo, timer;
      function check() {
        var t = performance.now();
        if (!ok()) return false;
        if (mo) mo.disconnect();
        clearTimeout(timer);
        resolve(t);
        return true;
      }
      if (check()) return;
      mo = new MutationObserver(check);
      mo.observe(document.body, {subtree: true, childList: true, characterData: true});
      timer = setTimeout(function () { mo.disconnect(); reject(new Error('timed out waiting for ' + what)); }, ms);
    });
  }
  window.__tbc = {
    // prompt resolves once a shell prompt follows the last mark.
    prompt: function (mark, ms) {
      return when(function () { var t = document.body.textContent; return /[#$]/.test(t.slice(t.lastIndexOf(mark))); }, ms, 'the prompt after ' + mark).then(function () { return true; });
    },
    // shown resolves once text s is in the page.
    shown: function (s, ms) { return when(function () { return count(s) > 0; }, ms, s).then(function () { return true; }); },
    // arm starts timing the output of the command holding mark: the
    // result, a promise in __tbc.p, is [Enter -> output received by the
    // page, Enter -> output in the DOM, Enter -> keydown handler, Enter ->
    // input sent, and the Enter's wall clock time] in ms.
    arm: function (mark, ms) {
      var base = count(mark), t0 = 0, lag = 0;
      function kd(e) {
        if (e.key !== 'Enter' || t0) return;
        // The event's own time stamp: when the key was pressed, before
        // the page's handlers ran.
        t0 = e.timeStamp || performance.now(); lag = performance.now() - t0;
      }
      document.addEventListener('keydown', kd, true);
      __tbw.mark = mark; __tbw.markAt = 0; __tbw.sentAt = 0;
      __tbc.p = when(function () { return t0 > 0 && count(mark) > base; }, ms, 'the output ' + mark).then(function (t) {
        document.removeEventListener('keydown', kd, true);
        __tbw.mark = '';
        return [__tbw.markAt ? __tbw.markAt - t0 : -1, t - t0, lag, __tbw.sentAt ? __tbw.sentAt - t0 : -1, performance.timeOrigin + t0];
      }, function (e) { document.removeEventListener('keydown', kd, true); throw e; });
      return base;
    }
  };
})()`

// awaitPromise makes chromedp.Evaluate wait for a promise's value.
func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// cmdSample types command i, `echo abNNNN`, at the shell prompt of the
// terminal in ctx (cmdProbe loaded), waits pause once the command line is
// shown, presses Enter and returns the time from its Enter
// keydown to the output received by the page (wire; -1 when no single
// message carried it) and shown in its DOM (dom), in ms.
func cmdSample(ctx context.Context, i int, pause time.Duration, logf func(string, ...any)) (wire, dom float64, err error) {
	mark := fmt.Sprintf("ab%d", cmdMarkBase+i)
	if err := typeText(ctx, "echo "+mark); err != nil {
		return 0, 0, err
	}
	var ok bool
	if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`__tbc.shown(%q, 10000)`, "echo "+mark), &ok, awaitPromise)); err != nil {
		return 0, 0, fmt.Errorf("command %d not echoed: %w", i, err)
	}
	if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`__tbc.arm(%q, 10000)`, mark), nil)); err != nil {
		return 0, 0, err
	}
	if pause > 0 {
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		}
	}
	if err := typeText(ctx, "\r"); err != nil {
		return 0, 0, err
	}
	var r []float64
	if err := chromedp.Run(ctx, chromedp.Evaluate(`__tbc.p`, &r, awaitPromise)); err != nil {
		return 0, 0, fmt.Errorf("command %d: %w", i, err)
	}
	if len(r) != 5 {
		return 0, 0, fmt.Errorf("command %d: probe returned %v", i, r)
	}
	logf("%s: Enter at %.3f: keydown handled after %.1f ms, sent after %.1f ms, output received after %.1f ms, in the DOM after %.1f ms", mark, r[4], r[2], r[3], r[0], r[1])
	// The next command waits for the prompt, as a user does; the wait is
	// not timed.
	if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`__tbc.prompt(%q, 10000)`, mark), &ok, awaitPromise)); err != nil {
		return 0, 0, fmt.Errorf("command %d: %w", i, err)
	}
	return r[0], r[1], nil
}

// printCmdEcho prints the command echo figures of one terminal: median,
// 90th percentile and maximum, to the DOM and as received by the page.
func printCmdEcho(out io.Writer, name string, wire, dom []float64) {
	dom = append([]float64(nil), dom...)
	sort.Float64s(dom)
	var w []float64
	for _, v := range wire {
		if v >= 0 { // -1: the output was not seen on the wire (split across messages)
			w = append(w, v)
		}
	}
	sort.Float64s(w)
	fmt.Fprintf(out, "%-12s command echo (Enter -> output in the DOM) median %6.1f ms  p90 %6.1f ms  max %6.1f ms (n=%d)\n",
		name, median(dom), pct(dom, 90), last(dom), len(dom))
	fmt.Fprintf(out, "%-12s command echo (Enter -> output received by the page) median %6.1f ms  p90 %6.1f ms  max %6.1f ms (n=%d)\n",
		name, median(w), pct(w, 90), last(w), len(w))
}

// median is the middle value of sorted v (the mean of the two middle
// ones for an even count).
func median(v []float64) float64 {
	switch n := len(v); {
	case n == 0:
		return 0
	case n%2 == 1:
		return v[n/2]
	default:
		return (v[n/2-1] + v[n/2]) / 2
	}
}

func last(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return v[len(v)-1]
}

// openTerminal loads a terminal page in the tab of ctx and waits for the
// shell prompt; the wire probe is installed before the page's scripts
// run, and the terminal gets the keyboard focus.
func openTerminal(ctx context.Context, url string, logf func(string, ...any)) error {
	logf("opening %s", url)
	if err := devtools.Quiet(ctx); err != nil {
		return err
	}
	// The wire probe must wrap WebSocket and XMLHttpRequest before the
	// page's own scripts open their connection.
	if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(wireProbe).Do(ctx)
		return err
	})); err != nil {
		return err
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("open %s: %w", url, err)
	}
	if err := waitFor(ctx, `/[#$] *$/m.test(document.body.innerText)`, 20*time.Second); err != nil {
		return fmt.Errorf("no shell prompt: %w", err)
	}
	logf("prompt seen")
	// Give the page's keyboard focus to the terminal (xterm.js: its
	// textarea; shellinabox listens on the document).
	return chromedp.Run(ctx, chromedp.Evaluate(`(function(){var t=document.querySelector('.xterm-helper-textarea'); if(t) t.focus(); else window.focus();})()`, nil))
}

// compareCmdEcho times o.cmds commands in the terminal already open in
// ctx and, with o.vs, as many in a second terminal opened in a new tab,
// alternating, and prints the figures of each.
func compareCmdEcho(ctx context.Context, o options, out io.Writer, logf func(string, ...any)) error {
	type term struct {
		name      string
		ctx       context.Context
		wire, dom []float64
	}
	terms := []*term{{name: o.name, ctx: ctx}}
	if o.vs != "" {
		name, url, ok := strings.Cut(o.vs, "=")
		if !ok || name == "" || url == "" {
			return fmt.Errorf("-vs %q: want NAME=URL", o.vs)
		}
		// A window of its own: a second tab in the first one's window
		// would hide the first, and Chromium throttles hidden pages.
		var id target.ID
		if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
			var err error
			id, err = target.CreateTarget("about:blank").WithNewWindow(true).Do(cdp.WithExecutor(ctx, chromedp.FromContext(ctx).Browser))
			return err
		})); err != nil {
			return fmt.Errorf("open a second window: %w", err)
		}
		tctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(id))
		defer cancel()
		if err := chromedp.Run(tctx, emulation.SetFocusEmulationEnabled(true)); err != nil {
			return err
		}
		if err := openTerminal(tctx, url, func(f string, a ...any) { logf(name+": "+f, a...) }); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		terms = append(terms, &term{name: name, ctx: tctx})
	}
	for _, t := range terms {
		var vis string
		if err := chromedp.Run(t.ctx, chromedp.Evaluate(cmdProbe, nil), chromedp.Evaluate(`document.visibilityState`, &vis)); err != nil {
			return err
		}
		logf("%s: page %s", t.name, vis)
	}
	for i := 0; i < o.cmds; i++ {
		for _, t := range terms {
			w, d, err := cmdSample(t.ctx, i, o.pause, func(f string, a ...any) { logf(t.name+": "+f, a...) })
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			t.wire, t.dom = append(t.wire, w), append(t.dom, d)
		}
	}
	for _, t := range terms {
		var where string
		_ = chromedp.Run(t.ctx, chromedp.Evaluate(`location.origin + (window.isSecureContext ? ' (a secure context)' : ' (not a secure context)') +
			(document.documentElement.dataset.transport ? ', transport ' + document.documentElement.dataset.transport : '')`, &where))
		fmt.Fprintf(out, "%-12s page %s\n", t.name, where)
		printCmdEcho(out, t.name, t.wire, t.dom)
	}
	return nil
}
