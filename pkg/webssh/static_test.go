package webssh

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStaticMatchesUI checks that the committed, embedded assets are what
// ui/build.sh makes: the page's own files copied unchanged, and xterm.js
// of the version package.json pins.
func TestStaticMatchesUI(t *testing.T) {
	for _, name := range []string{"webssh.js", "webssh.css", "keybar.js", "messages.js", "wsworker.js"} {
		src, err := os.ReadFile(filepath.Join("ui", name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := static.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(src, got) {
			t.Errorf("static/%s differs from ui/%s: run pkg/webssh/ui/build.sh and commit static/", name, name)
		}
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	data, err := os.ReadFile(filepath.Join("ui", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatal(err)
	}
	want := strings.TrimLeft(pkg.Dependencies["@xterm/xterm"], "^~=")
	if want == "" {
		t.Fatal("package.json does not pin @xterm/xterm")
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	data, err = os.ReadFile(filepath.Join("ui", "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		t.Fatal(err)
	}
	if got := lock.Packages["node_modules/@xterm/xterm"].Version; got != want {
		t.Errorf("package-lock.json has @xterm/xterm %q, package.json pins %q", got, want)
	}
	for _, name := range []string{"xterm.js", "xterm.css", "addon-fit.js", "LICENSE.xterm"} {
		if b, err := static.ReadFile("static/" + name); err != nil || len(b) == 0 {
			t.Errorf("embedded static/%s missing or empty: %v", name, err)
		}
	}
}
