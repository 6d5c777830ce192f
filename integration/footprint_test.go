package integration

import (
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/luoyun/osmanager/internal/testbin"
)

// TestNoHTTPOutsideServers checks that the commands which serve no HTTP
// (floppyconf, osc, osm with its `osm clc` simulator) link neither
// net/http nor crypto/tls, and that no command links package zap:
// package zap imports net/http, and a linked package keeps its
// initialisers, about 1.5 MB of floppyconf, 0.8 MB of osc and 1 MB of
// osm's PSS (docs/integration.md, "Idle memory"). They log through
// pkg/logging and pkg/zlog, which use zapcore only.
func TestNoHTTPOutsideServers(t *testing.T) {
	for _, c := range []string{"floppyconf", "osc", "osm"} {
		for p := range deps(t, "./cmd/"+c) {
			switch p {
			case "net/http", "crypto/tls", "go.uber.org/zap":
				t.Errorf("cmd/%s links %s", c, p)
			}
		}
	}
	// The servers link net/http for themselves, but not through zap:
	// every command, cmd/luoyun included, logs without package zap.
	all := deps(t, "./cmd/...")
	for _, p := range slices.Sorted(maps.Keys(all)) {
		if slices.Contains(all[p], "go.uber.org/zap") {
			t.Errorf("%s imports go.uber.org/zap", p)
		}
	}
}

// deps returns each package the packages pkgs link (go list -deps, with
// the shipped binaries' build tags), with the packages it imports.
func deps(t *testing.T, pkgs ...string) map[string][]string {
	t.Helper()
	args := append([]string{"list", "-tags", testbin.Tags, "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", strings.Join(pkgs, " "), err)
	}
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 {
			m[f[0]] = f[1:]
		}
	}
	if len(m) == 0 {
		t.Fatalf("go list %s listed no packages", strings.Join(pkgs, " "))
	}
	return m
}
