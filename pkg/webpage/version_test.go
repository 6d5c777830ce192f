package webpage

import (
	"html"
	"path/filepath"
	"testing"

	"github.com/luoyun/osmanager/pkg/release"
)

// TestVersionVar: $osmversion is the running web's release and commit.
func TestVersionVar(t *testing.T) {
	old, oldC := release.Version, release.Commit
	t.Cleanup(func() { release.Version, release.Commit = old, oldC })
	release.Version, release.Commit = "v2.1.0", "0123456789ab"
	f := newFixture(t)
	writeFile(t, filepath.Join(f.root, NoCookie, "v.html"), "[$osmversion]")
	_, addr := start(t, f.config(newClock(t0)), nil)
	if r, want := get(t, addr, "/v.html"), "["+html.EscapeString("v2.1.0 (commit 0123456789ab)")+"]"; r.body != want {
		t.Errorf("page = %q, want %q", r.body, want)
	}
}
