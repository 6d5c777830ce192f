package release

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	old, oldC := Version, Commit
	defer func() { Version, Commit = old, oldC }()
	Version, Commit = "1.2.3", "abc123"
	if got := String("osm"); got != "osm 1.2.3 (commit abc123)" {
		t.Errorf("String = %q", got)
	}
	Commit = ""
	if got := String("web"); !strings.HasPrefix(got, "web 1.2.3 (commit ") {
		t.Errorf("String = %q", got)
	}
}
