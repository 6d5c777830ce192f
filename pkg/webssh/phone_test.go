package webssh

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/luoyun/osmanager/internal/browsertest"
	"github.com/luoyun/osmanager/internal/poll"
)

// screenHas returns a JS expression: whether the terminal's rows, joined
// (a long line wraps over several on a phone), hold want.
func screenHas(want string) string {
	return fmt.Sprintf(`Array.from(document.querySelectorAll('.xterm-rows > div')).map(function (d) {
		return d.textContent.replace(/\u00a0/g, ' ');
	}).join('').indexOf(%q) >= 0`, want)
}

// mustType types s on the keyboard (see typeKeys).
func mustType(ctx context.Context, t *testing.T, s string) {
	t.Helper()
	if err := chromedp.Run(ctx, typeKeys(s)); err != nil {
		t.Fatalf("type %q: %v", s, err)
	}
}

// tap touches the key bar's button for key (its data-key) with a finger:
// a touchStart and a touchEnd at the button's centre, through Chromium's
// input pipeline (touch emulation on), which makes the tap a click.
func tap(ctx context.Context, t *testing.T, key string) {
	t.Helper()
	var xy []float64
	if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`(function () {
		var b = document.querySelector('#keybar button[data-key=%q]');
		if (!b) return [];
		var r = b.getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2];
	})()`, key), &xy)); err != nil {
		t.Fatalf("find key %s: %v", key, err)
	}
	if len(xy) != 2 {
		t.Fatalf("the key bar has no %q key", key)
	}
	p := []*input.TouchPoint{{X: xy[0], Y: xy[1]}}
	if err := chromedp.Run(ctx,
		input.DispatchTouchEvent(input.TouchStart, p),
		input.DispatchTouchEvent(input.TouchEnd, []*input.TouchPoint{}),
	); err != nil {
		t.Fatalf("tap %s: %v", key, err)
	}
}

// TestPhoneKeybar opens the page as a phone does (390x844 CSS pixels,
// touch screen) and uses the key bar: each key's effect is checked in
// what the shell (bash, for completion and history) made of it. It also
// checks the bilingual session-ended message and saves a screenshot.
func TestPhoneKeybar(t *testing.T) {
	bash := "/bin/bash"
	if _, err := os.Stat(bash); err != nil {
		t.Skip("no /bin/bash (completion and history need it)")
	}
	ctx := browsertest.New(t, 2*time.Minute)
	dir := os.Getenv("WEBSSH_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	files := t.TempDir()
	if err := os.WriteFile(filepath.Join(files, "keybar-completion-target"), []byte("TAB-COMPLETED\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Config{Command: []string{bash, "--norc", "--noprofile", "-i"},
		Env: []string{"TERM=xterm-256color", "LANG=C.UTF-8", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "PS1=$ "}})
	if err := chromedp.Run(ctx,
		emulation.SetDeviceMetricsOverride(390, 844, 3, true),
		emulation.SetTouchEmulationEnabled(true).WithMaxTouchPoints(5),
	); err != nil {
		t.Fatal(err)
	}
	openPage(ctx, t, s.URL(), "$")

	t.Run("bar shown below the terminal", func(t *testing.T) {
		var got string
		if err := chromedp.Run(ctx, chromedp.Evaluate(`(function () {
			var b = document.getElementById('keybar'), term = document.getElementById('terminal');
			if (!b) return 'no #keybar';
			var r = b.getBoundingClientRect(), tr = term.getBoundingClientRect();
			var keys = Array.from(b.querySelectorAll('button')).map(function (x) { return x.textContent; }).join(' ');
			if (b.hidden || r.height < 30) return 'hidden: ' + r.height;
			if (Math.round(r.bottom) !== window.innerHeight) return 'bar ends at ' + r.bottom + ', window ' + window.innerHeight;
			if (tr.bottom > r.top + 0.5) return 'terminal (bottom ' + tr.bottom + ') under the bar (top ' + r.top + ')';
			return keys;
		})()`, &got)); err != nil {
			t.Fatal(err)
		}
		if want := "Esc Tab Ctrl ← ↑ ↓ → | ~ /"; got != want {
			t.Fatalf("key bar: %s, want keys %s", got, want)
		}
	})
	t.Run("Ctrl then c interrupts", func(t *testing.T) {
		// Typed before the shell prints its prompt, the line shows garbled.
		waitJS(ctx, t, "the prompt", promptShown)
		// A duration no other test uses: the Ctrl+C must come once sleep
		// runs, not while the shell is still starting it.
		mustType(ctx, t, "sleep 60.125\r")
		waitJS(ctx, t, "sleep typed", rowsHave("eq", "$ sleep 60.125"))
		poll.Until(t, poll.Timeout, "sleep 60.125 running", func() bool { return processRuns("sleep\x0060.125\x00") })
		tap(ctx, t, "Ctrl")
		waitJS(ctx, t, "Ctrl shown pressed", `document.querySelector('#keybar button[data-key=Ctrl]').getAttribute('aria-pressed') === 'true'`)
		mustType(ctx, t, "c")
		waitJS(ctx, t, "Ctrl released after one key", `document.querySelector('#keybar button[data-key=Ctrl]').getAttribute('aria-pressed') === 'false'`)
		mustType(ctx, t, "echo status=$?\r")
		// 130 = 128 + SIGINT: the shell received Ctrl+C (0x03).
		waitJS(ctx, t, "sleep interrupted", rowsHave("eq", "status=130"))
	})
	t.Run("Tab completes", func(t *testing.T) {
		// Typed before the shell prints its prompt, the line shows garbled.
		waitJS(ctx, t, "the prompt", promptShown)
		mustType(ctx, t, "cat "+files+"/keybar-compl")
		tap(ctx, t, "Tab")
		waitJS(ctx, t, "the completed name", screenHas("keybar-completion-target"))
		mustType(ctx, t, "\r")
		waitJS(ctx, t, "the completed file's text", rowsHave("eq", "TAB-COMPLETED"))
	})
	t.Run("arrows recall history and move", func(t *testing.T) {
		// Typed before the shell prints its prompt, the line shows garbled.
		waitJS(ctx, t, "the prompt", promptShown)
		mustType(ctx, t, "echo HIST$((6*7))\r")
		waitJS(ctx, t, "HIST42", rowsHave("eq", "HIST42"))
		tap(ctx, t, "up")
		waitJS(ctx, t, "the command recalled", `Array.from(document.querySelectorAll('.xterm-rows > div')).filter(function (d) {
			return d.textContent.replace(/\u00a0/g, ' ').trim() === '$ echo HIST$((6*7))';
		}).length === 2`)
		tap(ctx, t, "down")
		mustType(ctx, t, "clear; echo ab")
		tap(ctx, t, "left")
		mustType(ctx, t, "X\r")
		waitJS(ctx, t, "X inserted before the last character", rowsHave("eq", "aXb"))
	})
	t.Run("| ~ /", func(t *testing.T) {
		mustType(ctx, t, "clear; echo a")
		for _, k := range []string{"~", "b", "/", "c ", "|", " tr ", "/", " _\r"} {
			if k == "~" || k == "/" || k == "|" {
				tap(ctx, t, k)
			} else {
				mustType(ctx, t, k)
			}
		}
		waitJS(ctx, t, "the pipe's output", rowsHave("eq", "a~b_c"))
	})
	t.Run("Esc", func(t *testing.T) {
		// Esc b is readline's backward-word.
		mustType(ctx, t, "clear; echo one two")
		tap(ctx, t, "Esc")
		mustType(ctx, t, "bX\r")
		waitJS(ctx, t, "X before the last word", rowsHave("eq", "one Xtwo"))
	})
	browsertest.Screenshot(t, ctx, dir, "webssh-phone.png")
	t.Run("bilingual session end", func(t *testing.T) {
		mustType(ctx, t, "exit 3\r")
		for _, row := range []string{
			"[session ended (exit status 3)]",
			"[会话已结束（退出状态 3）]",
			"session ended — press Enter to start a new one",
			"会话已结束 — 按回车键开始新的会话",
		} {
			waitJS(ctx, t, "the text "+row, screenHas(row))
		}
		browsertest.Screenshot(t, ctx, dir, "webssh-phone-ended.png")
	})
	t.Run("bilingual notices", func(t *testing.T) {
		for _, c := range []struct{ kind, text, zh string }{
			{"idle", "no input for 30m0s: session closed", "[30m0s 内没有输入，会话已关闭]"},
			{"busy", "all 8 terminal sessions are in use; close one or try again later", "[全部 8 个终端会话都在使用中，请关闭一个或稍后再试]"},
			{"error", "protocol error", "[协议错误]"},
			{"error", "server shutting down", "[服务器正在关闭]"},
			{"error", "this terminal stayed at the login prompt and was closed to let another visitor in", "[此终端一直停在登录提示，已关闭以让其他访问者登录]"},
			{"error", "cannot start the terminal: no pty", "[无法启动终端：no pty]"},
			{"exit", "session ended (killed by a signal)", "[会话已结束（被信号终止）]"},
			{"", "", "[连接已断开]"},
		} {
			var lines []string
			if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`WebsshMessages.ended(%s).lines`,
				map[bool]string{true: "null", false: fmt.Sprintf("{kind: %q, text: %q}", c.kind, c.text)}[c.kind == ""]), &lines)); err != nil {
				t.Fatal(err)
			}
			if len(lines) != 4 || lines[1] != c.zh || (c.kind != "" && lines[0] != "["+c.text+"]") {
				t.Errorf("%s %q: lines %q, want [%s] then %s", c.kind, c.text, lines, c.text, c.zh)
			}
		}
	})
}

// processRuns reports whether a process whose /proc/PID/cmdline is exactly
// cmdline runs.
func processRuns(cmdline string) bool {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil && string(data) == cmdline {
			return true
		}
	}
	return false
}
