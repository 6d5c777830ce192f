// Command xtbench times xterm.js alone in headless Chromium: a terminal
// with the options of webssh's page is fed `seq 1 N` output in chunks, as
// webssh's websocket delivers it, from the page itself: no network, no
// shell, no server. It is the floor under the throughput figure of
// bench/webssh.sh (docs/figures.md).
//
//	go run ./bench/xtbench [-lines 1000000] [-chunk 32768] [-scrollback 5000] [-profile]
//
// It prints the time from the first write to the frame after the last
// write's callback, three times; -profile adds the renderer's hottest
// functions (self time) over the three runs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/luoyun/osmanager/bench/internal/devtools"
)

func main() {
	lines := flag.Int("lines", 1000000, "lines of seq output")
	chunk := flag.Int("chunk", 32768, "bytes per write")
	scrollback := flag.Int("scrollback", 5000, "the terminal's scrollback (webssh's page: 5000)")
	prof := flag.Bool("profile", false, "print the renderer's hottest functions")
	dir := flag.String("ui", "pkg/webssh/ui/vendor", "directory of xterm.js, xterm.css and addon-fit.js")
	flag.Parse()
	if err := run(*lines, *chunk, *scrollback, *prof, *dir); err != nil {
		log.Fatal(err)
	}
}

func run(lines, chunk, scrollback int, prof bool, dir string) error {
	if _, err := os.Stat(dir + "/xterm.js"); err != nil {
		return fmt.Errorf("no xterm.js (run from the repository root or give -ui): %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/v/", http.StripPrefix("/v/", http.FileServer(http.Dir(dir))))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, page, scrollback) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Print(err)
		}
	}()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1024, 768))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	if err := chromedp.Run(bctx, chromedp.Navigate("http://"+ln.Addr().String()+"/"), chromedp.WaitReady(".xterm-rows")); err != nil {
		return err
	}
	if err := devtools.Quiet(bctx); err != nil {
		return err
	}
	if prof {
		if err := devtools.StartProfile(bctx); err != nil {
			return err
		}
	}
	await := func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }
	for i := 0; i < 3; i++ {
		var secs float64
		if err := chromedp.Run(bctx, chromedp.Evaluate(fmt.Sprintf("run(%d, %d)", lines, chunk), &secs, await)); err != nil {
			return err
		}
		fmt.Printf("xterm.js alone: %d lines in %.3f s (chunk %d, scrollback %d)\n", lines, secs, chunk, scrollback)
	}
	if !prof {
		return nil
	}
	top, err := devtools.StopProfile(bctx, 25)
	if err != nil {
		return err
	}
	for _, l := range top {
		fmt.Println(l)
	}
	return nil
}

// page is a terminal as webssh's page makes it (font, scrollback, fit)
// and run(n, chunk), which writes seq's output in chunks with at most
// 256 KiB unparsed (webssh's flow-control window) and resolves with the
// seconds until the frame after the last write's callback.
const page = `<!doctype html><html><head><link rel="stylesheet" href="/v/xterm.css">
<script src="/v/xterm.js"></script><script src="/v/addon-fit.js"></script></head>
<body style="margin:0;height:100vh"><div id="t" style="height:100%%"></div><script>
var term = new Terminal({cursorBlink: false, scrollback: %d, fontSize: 15,
  fontFamily: '"DejaVu Sans Mono", "Noto Sans Mono CJK SC", monospace'});
var fit = new FitAddon.FitAddon(); term.loadAddon(fit); term.open(document.getElementById('t')); fit.fit();
function run(n, chunk) {
  var s = []; for (var i = 1; i <= n; i++) s.push(i + '\r\n');
  var data = new TextEncoder().encode(s.join('') + 'DONE');
  return new Promise(function (done) {
    var t0 = performance.now(), off = 0, inflight = 0;
    function more() {
      while (inflight < 262144 && off < data.length) {
        var c = data.subarray(off, off + chunk);
        off += c.length;
        inflight += c.length;
        term.write(c, function (len) {
          return function () {
            inflight -= len;
            if (off >= data.length && inflight === 0) requestAnimationFrame(function () { done((performance.now() - t0) / 1000); });
            else more();
          };
        }(c.length));
      }
    }
    more();
  });
}
</script></body></html>`
