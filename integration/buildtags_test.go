package integration

import (
	"debug/buildinfo"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/luoyun/osmanager/internal/testbin"
)

// TestBuildTagsAgree checks that the Makefile ships with the tags tests
// build with (internal/testbin), that the bench scripts build with them
// too, and that the binaries under test carry them.
func TestBuildTagsAgree(t *testing.T) {
	root := repoRoot(t)
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^TAGS\s*\?=\s*(.*?)\s*$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("no TAGS ?= line in the Makefile")
	}
	if string(m[1]) != testbin.Tags {
		t.Errorf("Makefile TAGS = %q, internal/testbin.Tags = %q", m[1], testbin.Tags)
	}
	for _, s := range []string{"bench/web.sh", "bench/webssh.sh"} {
		data, err := os.ReadFile(filepath.Join(root, s))
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`go build [^\n]*-tags ` + regexp.QuoteMeta(testbin.Tags) + ` `).Match(data) {
			t.Errorf("%s does not build with -tags %s", s, testbin.Tags)
		}
	}
	dir := binDir(t)
	for _, b := range binaries {
		info, err := buildinfo.ReadFile(filepath.Join(dir, b))
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		var tags string
		for _, s := range info.Settings {
			if s.Key == "-tags" {
				tags = s.Value
			}
		}
		if tags != testbin.Tags {
			t.Errorf("%s built with -tags %q, want %q", b, tags, testbin.Tags)
		}
	}
}
