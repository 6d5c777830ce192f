package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestBrowserRendersPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>t</title><p id="x">rendered <b>by</b> chromium</p><script>document.getElementById("x").dataset.js="yes"</script>`)
	}))
	defer srv.Close()
	ctx := New(t, 60*time.Second)
	var text, js string
	var ok bool
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL),
		chromedp.Text("#x", &text),
		chromedp.AttributeValue("#x", "data-js", &js, &ok),
	)
	if err != nil {
		t.Fatal(err)
	}
	if text != "rendered by chromium" || js != "yes" {
		t.Errorf("text %q js %q", text, js)
	}
	p := Screenshot(t, ctx, t.TempDir(), "page.png")
	if st, err := os.Stat(p); err != nil || st.Size() < 100 {
		t.Errorf("screenshot %v %v", st, err)
	}
}
