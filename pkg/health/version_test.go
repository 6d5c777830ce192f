package health

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/luoyun/osmanager/pkg/release"
)

// TestVersion: the report names the release and commit, in the text's
// first line and as "version" in the JSON.
func TestVersion(t *testing.T) {
	old, oldC := release.Version, release.Commit
	t.Cleanup(func() { release.Version, release.Commit = old, oldC })
	release.Version, release.Commit = "v2.1.0", "0123456789ab"
	r := Collect(Options{Dir: tree(t)})
	var text, js bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(text.String(), "\n"); first != "version: v2.1.0 (commit 0123456789ab)" {
		t.Errorf("first line %q, want the version", first)
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Version map[string]string `json:"version"`
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Version["release"] != "v2.1.0" || got.Version["commit"] != "0123456789ab" {
		t.Errorf(`JSON "version" = %v, want release v2.1.0 and commit 0123456789ab`, got.Version)
	}
}
