package webssh

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/luoyun/osmanager/internal/browsertest"
	"github.com/luoyun/osmanager/internal/nginxtest"
)

// xferRow is a JS expression: whether a transfer row of direction dir
// reached state (and, when result is not empty, the name the file got).
func xferRow(dir, state, result string) string {
	sel := fmt.Sprintf(`.xfer[data-direction=%q][data-state=%q]`, dir, state)
	if result != "" {
		sel += fmt.Sprintf(`[data-result=%q]`, result)
	}
	return fmt.Sprintf(`!!document.querySelector(%q)`, sel)
}

// dropFiles drops files on the terminal as a user's drag and drop does.
func dropFiles(files ...string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		data := &input.DragData{Items: []*input.DragDataItem{}, Files: files, DragOperationsMask: 1}
		for _, typ := range []input.DispatchDragEventType{input.DragEnter, input.DragOver, input.Drop} {
			if err := input.DispatchDragEvent(typ, 300, 300, data).Do(ctx); err != nil {
				return fmt.Errorf("%s: %w", typ, err)
			}
		}
		return nil
	})
}

// TestBrowserTransfers: in Chromium, directly (websocket) and through
// nginx holding the cloud front end's directives (HTTP transport), a
// dropped 10 MB file lands in the shell's directory owned by the
// logged-in user with the same sha256, a second one of the same name
// becomes "name (1)", a name with ../ lands in the directory, a session
// at the login prompt refuses uploads, and `webssh get` of a 10 MB file
// gives the browser a download with the same sha256. It logs MB/s.
func TestBrowserTransfers(t *testing.T) {
	e := startTransfers(t, 100e6)
	p := nginxtest.Start(t, e.s.Addr().String())
	big := randomBytes(t, 10<<20)
	src := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(src, big, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, url, transport string }{
		{"direct", e.s.URL(), "websocket"},
		{"nginx", p.URL, "http"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := browsertest.New(t, 3*time.Minute)
			downloads := t.TempDir()
			if err := chromedp.Run(ctx, browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllow).
				WithDownloadPath(downloads).WithEventsEnabled(true)); err != nil {
				t.Fatal(err)
			}
			home := filepath.Join(e.home, tc.name)
			if err := os.Mkdir(home, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(home, testUID, testUID); err != nil {
				t.Fatal(err)
			}
			openPage(ctx, t, tc.url, "fake login:")
			waitJS(ctx, t, "transport "+tc.transport, transportIs(tc.transport))
			waitJS(ctx, t, "the session's id", `!!(window.websshTransfers && window.websshTransfers.session())`)

			// At the login prompt: refused.
			if err := chromedp.Run(ctx, dropFiles(src)); err != nil {
				t.Fatal(err)
			}
			waitJS(ctx, t, "the upload refused", xferRow("upload", "error", ""))
			var msg string
			if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelector('.xfer[data-state=error] .xfer-text').textContent`, &msg)); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(msg, "log in first") {
				t.Fatalf("refusal says %q", msg)
			}
			if m, _ := filepath.Glob(filepath.Join(home, "*")); len(m) > 0 {
				t.Fatalf("written before login: %v", m)
			}

			typeUntilRow(ctx, t, "alice\r", "$")
			typeUntilRow(ctx, t, "cd "+home+"; echo IN-$((6*7))\r", "IN-42")

			// Drop 10 MB.
			start := time.Now()
			if err := chromedp.Run(ctx, dropFiles(src)); err != nil {
				t.Fatal(err)
			}
			waitJSFor(ctx, t, "big.bin uploaded", xferRow("upload", "done", "big.bin"), time.Minute)
			up := time.Since(start)
			ownedFile(t, filepath.Join(home, "big.bin"), big, testUID)

			// The same name again, and a name with ../ (made in the page:
			// a file picker gives plain names).
			if err := chromedp.Run(ctx, chromedp.SetUploadFiles(`#upload-input`, []string{src}, chromedp.ByQuery)); err != nil {
				t.Fatal(err)
			}
			waitJSFor(ctx, t, "big (1).bin uploaded", xferRow("upload", "done", "big (1).bin"), time.Minute)
			ownedFile(t, filepath.Join(home, "big (1).bin"), big, testUID)
			if err := chromedp.Run(ctx, chromedp.Evaluate(`window.websshTransfers.upload([new File(['up\n'], '../../up.txt')]), true`, nil)); err != nil {
				t.Fatal(err)
			}
			waitJS(ctx, t, "up.txt uploaded", xferRow("upload", "done", "up.txt"))
			ownedFile(t, filepath.Join(home, "up.txt"), []byte("up\n"), testUID)

			// webssh get of 10 MB.
			if err := os.WriteFile(filepath.Join(home, "dl.bin"), big, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Run(ctx, typeKeys(e.bin+" get dl.bin")); err != nil {
				t.Fatal(err)
			}
			start = time.Now() // from the Enter
			typeUntilRow(ctx, t, "\r", "dl.bin: 10.5 MB sent to the browser")
			got := filepath.Join(downloads, "dl.bin")
			if !pollUntil(time.Minute, func() bool {
				fi, err := os.Stat(got)
				return err == nil && fi.Size() == int64(len(big))
			}) {
				m, _ := filepath.Glob(filepath.Join(downloads, "*"))
				t.Fatalf("no complete download in %s: %v", downloads, m)
			}
			down := time.Since(start)
			data, err := os.ReadFile(got)
			if err != nil {
				t.Fatal(err)
			}
			if sha256.Sum256(data) != sha256.Sum256(big) {
				t.Fatal("downloaded file differs")
			}
			waitJS(ctx, t, "the download row done", xferRow("download", "done", ""))
			shots := os.Getenv("WEBSSH_SCREENSHOT_DIR")
			if shots == "" {
				shots = t.TempDir()
			}
			browsertest.Screenshot(t, ctx, shots, "transfers-"+tc.name)
			mb := float64(len(big)) / 1e6
			t.Logf("%s (%s): upload 10 MiB in %v (%.1f MB/s), download in %v (%.1f MB/s)",
				tc.name, tc.transport, up.Round(time.Millisecond), mb/up.Seconds(), down.Round(time.Millisecond), mb/down.Seconds())
		})
	}
}

// TestBrowserUploadCancel: on a phone the key bar has the upload button;
// an upload held to the session's rate (1 MB/s) shows its progress and
// is cancelled with its row's button: nothing is left in the directory.
func TestBrowserUploadCancel(t *testing.T) {
	e := startTransfersRate(t, 100e6, 1e6)
	ctx := browsertest.New(t, 2*time.Minute)
	if err := chromedp.Run(ctx,
		emulation.SetDeviceMetricsOverride(390, 844, 3, true),
		emulation.SetTouchEmulationEnabled(true).WithMaxTouchPoints(5),
	); err != nil {
		t.Fatal(err)
	}
	openPage(ctx, t, e.s.URL(), "fake login:")
	waitJS(ctx, t, "the upload button on the key bar", `!!document.querySelector('#keybar button[data-key=upload]')`)
	typeUntilRow(ctx, t, "alice\r", "$")
	typeUntilRow(ctx, t, "cd "+e.home+"; echo IN-$((6*7))\r", "IN-42")
	src := filepath.Join(t.TempDir(), "slow.bin")
	if err := os.WriteFile(src, randomBytes(t, 20<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx, chromedp.SetUploadFiles(`#upload-input`, []string{src}, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "the upload under way", `(function () {
		var p = document.querySelector('.xfer[data-state=running] progress');
		return !!p && p.value > 0 && p.value < p.max;
	})()`)
	if err := chromedp.Run(ctx, chromedp.Click(`.xfer[data-state=running] .xfer-x`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "the upload cancelled", `(function () {
		var r = document.querySelector('.xfer[data-state=error] .xfer-text');
		return !!r && r.textContent.indexOf('cancelled') >= 0;
	})()`)
	if !pollUntil(15*time.Second, func() bool {
		ents, _ := os.ReadDir(e.home)
		return len(ents) == 0 && len(e.logs.FilterMessage("file transfer failed").All()) == 1
	}) {
		ents, _ := os.ReadDir(e.home)
		t.Fatalf("after the cancel: %d entries in the directory, %d failure lines", len(ents), len(e.logs.FilterMessage("file transfer failed").All()))
	}
}
