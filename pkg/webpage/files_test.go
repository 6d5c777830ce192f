package webpage

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/luoyun/osmanager/internal/browsertest"
)

// TestTemplatesInTextFiles: variables are substituted in every text file
// (html, htm, txt, css, js, json, xml, svg), as the original did, and never
// in binary files, whatever their name.
func TestTemplatesInTextFiles(t *testing.T) {
	f := newFixture(t)
	n := filepath.Join(f.root, NoCookie)
	texts := map[string]string{
		"app.js":    "var host = '$hostname'; var jq = $('#x'); var cost = '$$5';\n",
		"style.css": "body::after{content:'$application'}\n",
		"note.txt":  "host $hostname\n",
		"data.json": `{"host": "$hostname", "v": "${version1}"}` + "\n",
		"feed.xml":  "<host>$hostname</host>\n",
		"logo.svg":  "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>$application</text></svg>\n",
		"PAGE.HTM":  "<p>$hostname</p>\n",
	}
	want := map[string]string{
		"app.js":    "var host = 'app.example.com'; var jq = $('#x'); var cost = '$5';\n",
		"style.css": "body::after{content:'ownCloud'}\n",
		"note.txt":  "host app.example.com\n",
		"data.json": `{"host": "app.example.com", "v": "2.5"}` + "\n",
		"feed.xml":  "<host>app.example.com</host>\n",
		"logo.svg":  "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>ownCloud</text></svg>\n",
		"PAGE.HTM":  "<p>app.example.com</p>\n",
	}
	for name, content := range texts {
		writeFile(t, filepath.Join(n, name), content)
	}
	binaries := map[string]string{
		"favicon.ico": binaryBlob,
		"font.svg":    "<svg>\x00$hostname</svg>", // misnamed binary
		"data.bin":    "\x00\x01$hostname",
		"img.png":     "$hostname no NUL but not a text type",
	}
	for name, content := range binaries {
		writeFile(t, filepath.Join(n, name), content)
	}
	_, addr := start(t, f.config(newClock(t0)), nil)
	for name := range texts {
		r := get(t, addr, "/"+name)
		if r.status != 200 || r.body != want[name] {
			t.Errorf("GET /%s = %d %q, want 200 %q", name, r.status, r.body, want[name])
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET /%s: templated but Cache-Control %q", name, r.header.Get("Cache-Control"))
		}
	}
	for name, content := range binaries {
		if r := get(t, addr, "/"+name); r.status != 200 || r.body != content {
			t.Errorf("GET /%s = %d %q, want 200 byte for byte %q", name, r.status, r.body, content)
		}
	}
}

// gbkPage is a builder's page in GBK: "欢迎使用落云 虚拟应用" and the host.
var gbkPage = "<!DOCTYPE html>\n<html><head><meta charset=\"GBK\"><title>t</title></head>\n<body><p id=\"zh\">" +
	"\xbb\xb6\xd3\xad\xca\xb9\xd3\xc3\xc2\xe4\xd4\xc6 \xd0\xe9\xc4\xe2\xd3\xa6\xd3\xc3" +
	"</p><p id=\"host\">$hostname</p></body></html>\n"

func TestCharsetHeader(t *testing.T) {
	f := newFixture(t)
	n := filepath.Join(f.root, NoCookie)
	pages := map[string]string{
		"gbk.html":       gbkPage,
		"equiv.html":     "<html><head><META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=gb2312'></head>$hostname</html>",
		"plain.html":     "<html><head><title>x</title></head>$hostname</html>",
		"comment.html":   "<!-- <meta charset=\"big5\"> --><p>x</p>",
		"bad.html":       "<meta charset=\"gbk\r\nX-Evil: 1\">",
		"utf16.html":     "<meta charset=utf-16le>",
		"late.html":      strings.Repeat(" ", 1100) + "<meta charset=gbk>",
		"big.html":       "<meta charset=\"Shift_JIS\">" + strings.Repeat("x", 200<<10),
		"sub/index.html": "<meta charset=euc-kr>",
	}
	for name, content := range pages {
		writeFile(t, filepath.Join(n, name), content)
	}
	cfg := f.config(newClock(t0))
	cfg.MaxCachedFile = 64 << 10 // big.html is streamed
	_, addr := start(t, cfg, nil)
	tests := map[string]string{
		"/gbk.html":     "text/html; charset=gbk",
		"/equiv.html":   "text/html; charset=gb2312",
		"/plain.html":   "text/html; charset=utf-8",
		"/comment.html": "text/html; charset=utf-8",
		"/bad.html":     "text/html; charset=utf-8",
		"/utf16.html":   "text/html; charset=utf-8",
		"/late.html":    "text/html; charset=utf-8",
		"/big.html":     "text/html; charset=shift_jis",
		"/sub/":         "text/html; charset=euc-kr",
	}
	for target, ctype := range tests {
		r := get(t, addr, target)
		if r.status != 200 || r.header.Get("Content-Type") != ctype {
			t.Errorf("GET %s: %d %q, want 200 %q", target, r.status, r.header.Get("Content-Type"), ctype)
		}
	}
	if r := get(t, addr, "/gbk.html"); !strings.Contains(r.body, "\xbb\xb6\xd3\xad") || !strings.Contains(r.body, "app.example.com") {
		t.Errorf("GBK page not served byte for byte with its variables: %q", r.body)
	}
}

// TestBrowserGBKPage: a builder's GBK page with its own <meta charset>
// renders its Chinese text in Chromium, and a .js file has $hostname
// substituted.
func TestBrowserGBKPage(t *testing.T) {
	f := newFixture(t)
	n := filepath.Join(f.root, NoCookie)
	writeFile(t, filepath.Join(n, "gbk.html"), strings.Replace(gbkPage, "</body>", "<p id=\"js\"></p><script src=\"host.js\"></script></body>", 1))
	writeFile(t, filepath.Join(n, "host.js"), "document.getElementById('js').textContent = 'js:' + '$hostname';\n")
	_, addr := start(t, f.config(newClock(t0)), nil)
	ctx := browsertest.New(t, 60*time.Second)
	var zh, host, js, cs string
	var width float64
	err := chromedp.Run(ctx,
		chromedp.Navigate("http://"+addr+"/gbk.html"),
		chromedp.WaitVisible("#zh", chromedp.ByQuery),
		chromedp.Poll(`document.getElementById('js').textContent !== ''`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Text("#zh", &zh, chromedp.ByQuery),
		chromedp.Text("#host", &host, chromedp.ByQuery),
		chromedp.Text("#js", &js, chromedp.ByQuery),
		chromedp.Evaluate(`document.characterSet`, &cs),
		chromedp.Evaluate(`(() => { const r = document.createRange(); r.selectNodeContents(document.getElementById('zh')); return r.getBoundingClientRect().width })()`, &width),
	)
	if err != nil {
		t.Fatal(err)
	}
	if zh != "欢迎使用落云 虚拟应用" {
		t.Errorf("Chinese text = %q, want 欢迎使用落云 虚拟应用", zh)
	}
	if cs != "GBK" {
		t.Errorf("document.characterSet = %q, want GBK", cs)
	}
	if host != "app.example.com" || js != "js:app.example.com" {
		t.Errorf("host %q, js %q: want app.example.com substituted", host, js)
	}
	if width < 50 {
		t.Errorf("the Chinese text is %.0f px wide: not rendered", width)
	}
	browsertest.Screenshot(t, ctx, t.TempDir(), "gbk.png")
}

// threads counts this process's OS threads.
func threads(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Skipf("no /proc/self/task: %v", err)
	}
	return len(ents)
}

// TestSpecialFilesRefused: a FIFO (or a device) in the www tree is
// answered at once with 404, and holds no thread; so is a link to one.
func TestSpecialFilesRefused(t *testing.T) {
	f := newFixture(t)
	n := filepath.Join(f.root, NoCookie)
	if err := syscall.Mkfifo(filepath.Join(n, "pipe.html"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(n, "fifodir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(n, "fifodir", "index.html"), 0o644); err != nil {
		t.Fatal(err)
	}
	symlink(t, "pipe.html", filepath.Join(n, "pipe-link.js"))
	symlink(t, "/dev/zero", filepath.Join(n, "zero")) // outside the root anyway
	_, addr := start(t, f.config(newClock(t0)), nil)
	before := threads(t)
	const requests = 50
	targets := []string{"/pipe.html", "/fifodir/", "/pipe-link.js", "/zero"}
	var wg sync.WaitGroup
	errs := make(chan string, requests)
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := targets[i%len(targets)]
			c := &http.Client{Timeout: 3 * time.Second}
			began := time.Now()
			resp, err := c.Get("http://" + addr + target)
			if err != nil {
				errs <- target + ": " + err.Error()
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound || time.Since(began) > 2*time.Second {
				errs <- target + ": " + resp.Status + " after " + time.Since(began).String()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if after := threads(t); after > before+8 {
		t.Errorf("threads %d -> %d after %d requests for special files", before, after, requests)
	}
	if r := get(t, addr, "/"); r.status != 200 {
		t.Errorf("normal request after: %d", r.status)
	}
}
