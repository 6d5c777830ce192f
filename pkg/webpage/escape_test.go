package webpage

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/luoyun/osmanager/internal/browsertest"
	"github.com/luoyun/osmanager/internal/jstoken"
)

// evilDomain ends a JavaScript string literal when the backslash is left
// as it is and the value is used twice on one line.
const evilDomain = `;globalThis.PWNED=1//\`

// evilFixture is the fixture with evilDomain as the JSON's domain name, a
// script using it twice and a page loading the script.
func evilFixture(t *testing.T) *fixture {
	f := newFixture(t)
	writeFile(t, f.conf, "TAG=7\nKEY=0123456789\nJSON="+`{"domain": {"name": ";globalThis.PWNED=1//\\"}}`+"\n")
	n := filepath.Join(f.root, NoCookie)
	writeFile(t, filepath.Join(n, "host.js"), "var host = '$hostname', again = '$hostname';\ndocument.getElementById('js').textContent = host + again;\n")
	writeFile(t, filepath.Join(n, "evil.html"), "<p id=\"attr\" title='$hostname'>$hostname</p><p id=\"js\"></p><script src=\"host.js\"></script>\n")
	return f
}

// TestValuesEscapedForTheirFile: in a .js file a value stays inside its
// string literal (the tokens around it are those of a plain value); in an
// HTML file the backslash is a character reference too.
func TestValuesEscapedForTheirFile(t *testing.T) {
	f := evilFixture(t)
	_, addr := start(t, f.config(newClock(t0)), nil)
	r := get(t, addr, "/host.js")
	got, err := jstoken.Scan(r.body)
	if err != nil {
		t.Fatalf("GET /host.js: %v in %q", err, r.body)
	}
	want, _ := jstoken.Scan("var host = 'x', again = 'x';\ndocument.getElementById('js').textContent = host + again;\n")
	if len(got) != len(want) {
		t.Fatalf("GET /host.js = %q: %d tokens, want %d", r.body, len(got), len(want))
	}
	for i := range want {
		if got[i].Kind != want[i].Kind || want[i].Kind != jstoken.String && got[i].Text != want[i].Text {
			t.Fatalf("GET /host.js = %q: token %d is %v, want %v", r.body, i, got[i], want[i])
		}
	}
	if got[3].Value != evilDomain || got[7].Value != evilDomain {
		t.Errorf("GET /host.js = %q: literals hold %q and %q, want %q", r.body, got[3].Value, got[7].Value, evilDomain)
	}
	if r := get(t, addr, "/evil.html"); !strings.Contains(r.body, `>;globalThis.PWNED=1//&#92;<`) {
		t.Errorf("GET /evil.html = %q: backslash not escaped", r.body)
	}
}

// TestBrowserEvilDomain: in Chromium, the script's literals hold the
// domain name and its code does not run.
func TestBrowserEvilDomain(t *testing.T) {
	f := evilFixture(t)
	_, addr := start(t, f.config(newClock(t0)), nil)
	ctx := browsertest.New(t, 60*time.Second)
	var js, title string
	var pwned bool
	err := chromedp.Run(ctx,
		chromedp.Navigate("http://"+addr+"/evil.html"),
		chromedp.Poll(`document.getElementById('js').textContent !== '' || globalThis.PWNED === 1`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Text("#js", &js, chromedp.ByQuery),
		chromedp.AttributeValue("#attr", "title", &title, nil, chromedp.ByQuery),
		chromedp.Evaluate(`globalThis.PWNED === 1`, &pwned),
	)
	if err != nil {
		t.Fatal(err)
	}
	if pwned || js != evilDomain+evilDomain || title != evilDomain {
		t.Errorf("PWNED %v, script text %q, title %q: want no PWNED and the domain name twice", pwned, js, title)
	}
}
