package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestShellBudget: the shell of the boot chain stays small enough for a
// builder to review: osmanager.sh at most 150 lines, with scripts/*.sh at
// most 300; install.sh, upgrade.sh and uninstall.sh 40 each, the status
// sample 30; all of them with init/*.sh at most 450.
func TestShellBudget(t *testing.T) {
	repo := repoRoot(t)
	lines := func(rel string) int {
		data, err := os.ReadFile(filepath.Join(repo, rel))
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Count(data, []byte("\n"))
	}
	glob := func(pattern string) []string {
		m, err := filepath.Glob(filepath.Join(repo, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for i := range m {
			m[i], _ = filepath.Rel(repo, m[i])
		}
		return m
	}
	sum := func(files []string) (n int) {
		for _, f := range files {
			n += lines(f)
		}
		return n
	}
	if n := lines("osmanager.sh"); n > 150 {
		t.Errorf("osmanager.sh has %d lines, budget 150", n)
	}
	chain := append([]string{"osmanager.sh"}, glob("scripts/*.sh")...)
	if n := sum(chain); n > 300 {
		t.Errorf("%v have %d lines together, budget 300", chain, n)
	}
	thin := map[string]int{"install.sh": 40, "upgrade.sh": 40, "uninstall.sh": 40, "custom/scripts/status": 30}
	for f, max := range thin {
		if n := lines(f); n > max {
			t.Errorf("%s has %d lines, budget %d", f, n, max)
		}
	}
	all := append(append(chain, "install.sh", "upgrade.sh", "uninstall.sh", "custom/scripts/status"), glob("init/*.sh")...)
	if n := sum(all); n > 450 {
		t.Errorf("%v have %d lines together, budget 450", all, n)
	}
}
