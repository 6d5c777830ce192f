package webpage

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/luoyun/osmanager/internal/browsertest"
	"github.com/luoyun/osmanager/pkg/osmstate"
)

// shippedFixture is the fixture with the pages shipped in custom/www.
func shippedFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	for _, v := range []string{WithCookie, NoCookie} {
		for _, name := range []string{"index.html", "favicon.ico"} {
			data, err := os.ReadFile(filepath.Join("..", "..", "custom", "www", v, name))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(f.root, v, name), string(data))
		}
	}
	if err := osmstate.Write(f.state, osmstate.State{Phase: osmstate.Registered, Since: time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC), PID: fixtureOSMPid, LastReport: 2000}); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestShippedPages keeps the shipped pages small and checks the
// content the original had.
func TestShippedPages(t *testing.T) {
	for _, v := range []string{WithCookie, NoCookie} {
		p := filepath.Join("..", "..", "custom", "www", v, "index.html")
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 4096 {
			t.Errorf("%s is %d bytes, want a small page (<= 4 KiB)", p, len(data))
		}
		page := string(data)
		want := []string{`name="viewport"`, "$application", "$version1", "$version2", "$hostname", "$appurl", "欢迎使用落云", "Welcome", "点击进入", "@media"}
		if v == WithCookie {
			want = append(want, `http-equiv="refresh" content="10"`, "$websshurl", "$curtime", "Web SSH")
		}
		for _, w := range want {
			if !strings.Contains(page, w) {
				t.Errorf("%s lacks %q", p, w)
			}
		}
	}
}

func TestBrowser(t *testing.T) {
	f := shippedFixture(t)
	_, addr := start(t, f.config(newClock(time.Date(2026, 11, 21, 9, 5, 0, 0, time.UTC))), nil)
	// The browser starts after the server so that it is gone, with its
	// keep-alive connections, before the server shuts down.
	ctx := browsertest.New(t, 90*time.Second)
	shots := os.Getenv("WEB_SCREENSHOTS") // keep them somewhere to look at
	if shots == "" {
		shots = t.TempDir()
	}
	tests := []struct {
		name, url string
		phone     bool
		text      map[string]string // selector -> text it must contain
		links     map[string]string // selector -> href
		refresh   bool
	}{
		{"withcookie", "/?cookie=" + testCookie, false,
			map[string]string{"#app": "ownCloud", "#version": "2.5", "#hostname": "app.example.com", "#time": "09:05", "#osm": "registered", "#appstatus": "2000 · application running", "h1": "欢迎使用落云 ownCloud 虚拟应用"},
			map[string]string{"#applink": "http://app.example.com/", "#sshlink": "http://app.example.com:8022/"}, true},
		{"withcookie-phone", "/?cookie=" + testCookie, true,
			map[string]string{"#app": "ownCloud", "#version": "4.0.7", "#hostname": "app.example.com", "#sshlink": "Web SSH"},
			map[string]string{"#sshlink": "http://app.example.com:8022/"}, true},
		{"nocookie", "/", false,
			map[string]string{"#app": "ownCloud", "#version": "ownCloud: 4.0.7", "#hostname": "app.example.com", "h1": "虚拟应用"},
			map[string]string{"#applink": "http://app.example.com/"}, false},
		{"nocookie-phone", "/?cookie=wrong", true,
			map[string]string{"#app": "ownCloud", "#version": "2.5"},
			map[string]string{"#applink": "http://app.example.com/"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var acts []chromedp.Action
			if tt.phone {
				acts = append(acts, chromedp.Emulate(device.IPhone8))
			} else {
				acts = append(acts, chromedp.EmulateViewport(1024, 768))
			}
			acts = append(acts, chromedp.Navigate("http://"+addr+tt.url), chromedp.WaitVisible("#app", chromedp.ByQuery))
			if err := chromedp.Run(ctx, acts...); err != nil {
				t.Fatal(err)
			}
			for sel, want := range tt.text {
				var got string
				if err := chromedp.Run(ctx, chromedp.Text(sel, &got, chromedp.ByQuery)); err != nil {
					t.Fatalf("text of %s: %v", sel, err)
				}
				if !strings.Contains(got, want) {
					t.Errorf("%s text = %q, want it to contain %q", sel, got, want)
				}
			}
			for sel, want := range tt.links {
				var got string
				var ok bool
				if err := chromedp.Run(ctx, chromedp.AttributeValue(sel, "href", &got, &ok, chromedp.ByQuery)); err != nil || !ok {
					t.Fatalf("href of %s: %v %v", sel, ok, err)
				}
				if got != want {
					t.Errorf("%s href = %q, want %q", sel, got, want)
				}
			}
			var refresh bool
			var overflow int
			var title string
			err := chromedp.Run(ctx,
				chromedp.Evaluate(`!!document.querySelector('meta[http-equiv="refresh"][content="10"]')`, &refresh),
				chromedp.Evaluate(`document.documentElement.scrollWidth - window.innerWidth`, &overflow),
				chromedp.Title(&title),
			)
			if err != nil {
				t.Fatal(err)
			}
			if refresh != tt.refresh {
				t.Errorf("reloads every 10 s = %v, want %v", refresh, tt.refresh)
			}
			if overflow > 0 {
				t.Errorf("page is %d px wider than the viewport: not readable on a phone", overflow)
			}
			if !strings.Contains(title, "ownCloud") || strings.Contains(title, "$") {
				t.Errorf("title = %q", title)
			}
			p := browsertest.Screenshot(t, ctx, shots, tt.name+".png")
			img, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			cfg, err := png.DecodeConfig(img)
			if err != nil {
				t.Fatalf("screenshot is not a PNG: %v", err)
			}
			if tt.phone && cfg.Width > 375*3 || !tt.phone && cfg.Width < 1000 {
				t.Errorf("screenshot %dx%d does not match the viewport", cfg.Width, cfg.Height)
			}
		})
	}
}
