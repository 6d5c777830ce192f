package webssh

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/luoyun/osmanager/internal/browsertest"
	"github.com/luoyun/osmanager/internal/poll"
)

// rowsHave returns a JS expression: whether some terminal row, trimmed,
// satisfies the test ("eq" or "has") against want.
func rowsHave(op, want string) string {
	return fmt.Sprintf(`Array.from(document.querySelectorAll('.xterm-rows > div')).some(function (d) {
		var t = d.textContent.replace(/\u00a0/g, ' ').trim();
		return %q === 'eq' ? t === %q : t.indexOf(%q) >= 0;
	})`, op, want, want)
}

// promptShown is a JS expression: a row holds only a shell prompt.
const promptShown = `Array.from(document.querySelectorAll('.xterm-rows > div')).some(function (d) {
	return /^[#$]$/.test(d.textContent.replace(/\u00a0/g, ' ').trim());
})`

// waitJS polls a boolean JS expression until it is true.
func waitJS(ctx context.Context, t *testing.T, what, expr string) {
	t.Helper()
	if !jsHolds(ctx, t, what, expr, poll.Timeout) {
		t.Fatalf("timed out waiting for %s; terminal shows:\n%s", what, terminalRows(ctx))
	}
}

// jsHolds polls a boolean JS expression until it is true or d passes; it
// fails t when the page cannot evaluate it.
func jsHolds(ctx context.Context, t *testing.T, what, expr string, d time.Duration) bool {
	t.Helper()
	var err error
	ok := poll.Wait(d, func() bool {
		var ok bool
		err = chromedp.Run(ctx, chromedp.Evaluate(expr, &ok))
		return ok || err != nil
	})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return ok
}

// terminalRows is the text the page's terminal shows.
func terminalRows(ctx context.Context) string {
	var rows string
	_ = chromedp.Run(ctx, chromedp.Evaluate(`document.querySelector('.xterm-rows') ? document.querySelector('.xterm-rows').innerText : '(no .xterm-rows)'`, &rows))
	return rows
}

// typeUntilRow types keys into the terminal and waits for a row reading
// exactly row.
func typeUntilRow(ctx context.Context, t *testing.T, keys, row string) {
	t.Helper()
	if err := chromedp.Run(ctx, typeKeys(keys)); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "a row reading "+row, rowsHave("eq", row))
}

// typeKeys types s into the focused terminal the way a keyboard does: one
// keyDown carrying the character's text (Chromium derives keypress/input
// from it, as for a real key) and one keyUp per character; "\r" is the
// Enter key. Characters outside ASCII are committed like an input method
// does (Input.insertText). chromedp.SendKeys is not used: its separate
// "char" events bypass xterm.js's cancelling of keydown and double every
// character.
func typeKeys(s string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for _, r := range s {
			var err error
			switch {
			case r == '\r':
				err = key(ctx, "Enter", "Enter", 13, "\r")
			case r < 0x80:
				err = key(ctx, string(r), "", 0, string(r))
			default:
				err = input.InsertText(string(r)).Do(ctx)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func key(ctx context.Context, k, code string, vk int64, text string) error {
	down := input.DispatchKeyEvent(input.KeyDown).WithKey(k).WithCode(code).WithText(text).WithUnmodifiedText(text)
	if vk != 0 {
		down = down.WithWindowsVirtualKeyCode(vk).WithNativeVirtualKeyCode(vk)
	}
	if err := down.Do(ctx); err != nil {
		return err
	}
	up := input.DispatchKeyEvent(input.KeyUp).WithKey(k).WithCode(code)
	if vk != 0 {
		up = up.WithWindowsVirtualKeyCode(vk).WithNativeVirtualKeyCode(vk)
	}
	return up.Do(ctx)
}

func TestBrowser(t *testing.T) {
	ctx := browsertest.New(t, 90*time.Second)
	s := startServer(t, Config{Title: "vm42.example", Command: []string{"/bin/sh"}})
	dir := os.Getenv("WEBSSH_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	var title string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(s.URL()),
		chromedp.WaitReady(`.xterm-rows`, chromedp.ByQuery),
		chromedp.Title(&title),
		chromedp.Focus(`.xterm-helper-textarea`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if title != "vm42.example" {
		t.Fatalf("page title %q, want vm42.example", title)
	}
	waitJS(ctx, t, "the shell prompt", rowsHave("has", "#"))
	t.Run("no key bar on a desktop", func(t *testing.T) {
		var shown string
		if err := chromedp.Run(ctx, chromedp.Evaluate(`(function () {
			var b = document.getElementById('keybar');
			return b ? getComputedStyle(b).display + ' ' + b.getBoundingClientRect().height : 'no #keybar';
		})()`, &shown)); err != nil {
			t.Fatal(err)
		}
		// The bar exists (keybar.js loaded) but takes no room.
		if shown != "none 0" {
			t.Errorf("key bar on a desktop: %s, want display none", shown)
		}
	})

	t.Run("echo hello", func(t *testing.T) {
		typeUntilRow(ctx, t, "echo hello\r", "hello")
	})
	t.Run("utf8", func(t *testing.T) {
		typeUntilRow(ctx, t, "echo 你好 | sed s/^/CJK:/\r", "CJK:你好")
	})
	browsertest.Screenshot(t, ctx, dir, "webssh-hello.png")
	t.Run("resize follows the window", func(t *testing.T) {
		var before string
		for _, w := range []int64{640, 1000} {
			if err := chromedp.Run(ctx, emulation.SetDeviceMetricsOverride(w, 500, 1, false)); err != nil {
				t.Fatal(err)
			}
			var cols, rows int
			// The fit addon settles after the resize event: wait until the
			// terminal has the size the addon proposes for this window.
			waitJS(ctx, t, "the terminal to refit", fmt.Sprintf(`(function () {
				var d = webssh.fit.proposeDimensions();
				return window.innerWidth === %d && d && d.cols === webssh.term.cols && d.rows === webssh.term.rows &&
					(webssh.term.cols + 'x' + webssh.term.rows) !== %q;
			})()`, w, before))
			var size string
			if err := chromedp.Run(ctx, chromedp.Evaluate(`webssh.term.cols + 'x' + webssh.term.rows`, &size)); err != nil {
				t.Fatal(err)
			}
			before = size
			fmt.Sscanf(size, "%dx%d", &cols, &rows)
			t.Logf("window %dx500: terminal %s", w, size)
			if err := chromedp.Run(ctx, typeKeys("clear; stty size | sed s/^/SZ:/\r")); err != nil {
				t.Fatal(err)
			}
			waitJS(ctx, t, fmt.Sprintf("stty size %d %d", rows, cols), rowsHave("eq", fmt.Sprintf("SZ:%d %d", rows, cols)))
		}
	})
	browsertest.Screenshot(t, ctx, dir, "webssh.png")
	t.Run("session ended and restarted", func(t *testing.T) {
		if err := chromedp.Run(ctx, typeKeys("exit\r")); err != nil {
			t.Fatal(err)
		}
		waitJS(ctx, t, "the session-ended line", rowsHave("eq", "session ended — press Enter to start a new one"))
		browsertest.Screenshot(t, ctx, dir, "webssh-ended.png")
		if err := chromedp.Run(ctx, typeKeys("\r")); err != nil {
			t.Fatal(err)
		}
		waitJS(ctx, t, "the screen cleared for a new session", "!("+rowsHave("has", "session ended")+")")
		// Type only once the new shell has prompted: a command typed
		// earlier is echoed by the tty before the prompt, and its output
		// then shares a line with the prompt.
		waitJS(ctx, t, "the new shell's prompt", promptShown)
		if err := chromedp.Run(ctx, typeKeys("echo again$((40+2))\r")); err != nil {
			t.Fatal(err)
		}
		waitJS(ctx, t, "output of the new session", rowsHave("eq", "again42"))
	})
}
