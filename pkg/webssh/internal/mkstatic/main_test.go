package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	ui, out := filepath.Join(dir, "ui"), filepath.Join(dir, "static")
	files := map[string]string{
		"ui/page.js":             "console.log('page');\n",
		"ui/page.css":            "body{}\n",
		"ui/build.sh":            "#!/bin/sh\n", // not a page file
		"ui/vendor/lib.js":       "var lib = 1;\n",
		"ui/vendor/LICENSE.lib":  "MIT\n",
		"static/stale.js.gz":     "old",
		"static/page.js.gz":      "old content",
		"ui/node_modules/x/a.js": "not taken",
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var log bytes.Buffer
	if err := run([]string{"-ui", ui, "-out", out}, &log); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	want := []string{"LICENSE.lib.gz", "lib.js.gz", "page.css.gz", "page.js.gz"}
	if !slices.Equal(names, want) {
		t.Fatalf("static/ holds %q, want %q\n%s", names, want, log.String())
	}
	for _, src := range []string{"ui/page.js", "ui/page.css", "ui/vendor/lib.js", "ui/vendor/LICENSE.lib"} {
		gz, err := os.ReadFile(filepath.Join(out, filepath.Base(src)+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || string(got) != files[src] {
			t.Errorf("%s.gz decompresses to %q (%v), want %q", src, got, err, files[src])
		}
	}
	// A second run changes nothing.
	before, _ := os.ReadFile(filepath.Join(out, "lib.js.gz"))
	log.Reset()
	if err := run([]string{"-ui", ui, "-out", out}, &log); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(out, "lib.js.gz"))
	if !bytes.Equal(before, after) || bytes.Contains(log.Bytes(), []byte("(changed)")) {
		t.Errorf("second run changed output:\n%s", log.String())
	}
}

func TestRunNameClash(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"ui/a.js", "ui/vendor/a.js"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := run([]string{"-ui", filepath.Join(dir, "ui"), "-out", filepath.Join(dir, "static")}, io.Discard); err == nil {
		t.Error("ui/a.js and ui/vendor/a.js: no error")
	}
	if _, err := os.Stat(filepath.Join(dir, "static", "a.js.gz")); err == nil {
		t.Error("static/a.js.gz written despite the clash")
	}
}
