package webssh

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// privateMember finds a use of a private member in JavaScript: xterm.js
// (and the browser) mark theirs with a leading underscore
// (`term._core._renderService`, `obj['_x']`, `'_x' in obj`).
var privateMember = regexp.MustCompile("\\.\\s*_[A-Za-z0-9_$]*|\\[\\s*['\"`]_[A-Za-z0-9_$]*['\"`]\\s*\\]|['\"`]_[A-Za-z0-9_$]*['\"`]\\s+in\\b")

// privateMembers lists the lines of src that use a private member.
func privateMembers(src string) []string {
	var bad []string
	for i, line := range strings.Split(src, "\n") {
		for _, m := range privateMember.FindAllString(line, -1) {
			bad = append(bad, strings.TrimSpace(line)+" (line "+strconv.Itoa(i+1)+": "+m+")")
		}
	}
	return bad
}

// TestNoPrivateXtermMembers fails when one of the page's own scripts
// (ui/*.js; not the vendored xterm.js) reaches into a private member:
// xterm.js may change those in any release, silently.
func TestNoPrivateXtermMembers(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("ui", "*.js"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no page scripts in ui/: %v", err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range privateMembers(string(src)) {
			t.Errorf("%s uses a private member: %s", f, b)
		}
	}
}

// TestPrivateMembersFound: the check sees each way of reaching one.
func TestPrivateMembersFound(t *testing.T) {
	for _, src := range []string{
		"var d = term._core && term._core._renderService;",
		"debouncer._innerRefresh();",
		"term . _core",
		"x = term['_core'];",
		`x = term["_core"];`,
		"if (!('_animationFrame' in debouncer)) return;",
	} {
		if len(privateMembers(src)) == 0 {
			t.Errorf("%q: not found", src)
		}
	}
	for _, src := range []string{
		"term.write(data, cb);",
		"var rafs = new Map(); // a_b",
		"location.pathname.replace(/[^/]*$/, '')",
		"var my_var = 1;",
		"o.name_x = 2;",
	} {
		if b := privateMembers(src); len(b) != 0 {
			t.Errorf("%q: found %v", src, b)
		}
	}
}
