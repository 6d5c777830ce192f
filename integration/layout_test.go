package integration

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// layoutTrees are the directories whose packages the README's layout
// section lists.
var layoutTrees = []string{"bench", "cmd", "integration", "internal", "pkg", "test"}

// layoutLine is one package's line: "- `path` what it holds".
var layoutLine = regexp.MustCompile("^- `([^`]+)` \\S")

// TestReadmeLayout checks that the README's "Layout of the code" gives
// every package of layoutTrees exactly one line, and that each line names
// a package that exists.
func TestReadmeLayout(t *testing.T) {
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines, err := layoutLines(readme)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := goPackageDirs(root, layoutTrees)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range checkLayout(lines, pkgs) {
		t.Error(msg)
	}
}

// TestReadmeLayoutCheck checks that checkLayout reports a package without
// its line, a line without its package and a package listed twice, and
// that goPackageDirs finds a package added to a tree.
func TestReadmeLayoutCheck(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"pkg/a/a.go", "pkg/a/testdata/x/x.go", "pkg/b/b_test.go", "cmd/c/main.go", "docs/d/d.go", "pkg/e/e.txt"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("package x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pkgs, err := goPackageDirs(dir, layoutTrees)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cmd/c", "pkg/a", "pkg/b"}; !slices.Equal(pkgs, want) {
		t.Fatalf("packages %q, want %q", pkgs, want)
	}
	readme := []byte("# x\n\n## Layout of the code\n\nText.\n- `pkg/a` a.\n- `pkg/a` again.\n- `pkg/gone` gone.\n\n## Next\n- `cmd/c` not in the section.\n")
	lines, err := layoutLines(readme)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(checkLayout(lines, pkgs), "\n")
	for _, want := range []string{"pkg/b has no line", "cmd/c has no line", "pkg/gone names no package", "pkg/a has 2 lines"} {
		if !strings.Contains(got, want) {
			t.Errorf("check says %q, want it to contain %q", got, want)
		}
	}
	if _, err := layoutLines([]byte("# x\n")); err == nil {
		t.Error("a README without the section passes")
	}
}

// layoutLines returns the package paths the lines of the README's
// "## Layout of the code" section name, in order.
func layoutLines(readme []byte) ([]string, error) {
	var paths []string
	in, found := false, false
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## Layout of the code"
			found = found || in
			continue
		}
		if m := layoutLine.FindStringSubmatch(line); in && m != nil {
			paths = append(paths, m[1])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !found {
		return nil, fs.ErrNotExist
	}
	return paths, nil
}

// goPackageDirs returns the directories under root's trees that hold Go
// files, testdata excluded, as slash paths relative to root, sorted.
func goPackageDirs(root string, trees []string) ([]string, error) {
	seen := map[string]bool{}
	for _, tree := range trees {
		err := filepath.WalkDir(filepath.Join(root, tree), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) && p == filepath.Join(root, tree) {
					return nil
				}
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(p, ".go") {
				rel, err := filepath.Rel(root, filepath.Dir(p))
				if err != nil {
					return err
				}
				seen[filepath.ToSlash(rel)] = true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var dirs []string
	for d := range seen {
		dirs = append(dirs, d)
	}
	slices.Sort(dirs)
	return dirs, nil
}

// checkLayout compares the section's lines with the packages.
func checkLayout(lines, pkgs []string) []string {
	var msgs []string
	count := map[string]int{}
	for _, l := range lines {
		count[l]++
	}
	for _, p := range pkgs {
		switch n := count[p]; {
		case n == 0:
			msgs = append(msgs, "README layout: "+p+" has no line")
		case n > 1:
			msgs = append(msgs, fmt.Sprintf("README layout: %s has %d lines", p, n))
		}
	}
	for _, l := range lines {
		if !slices.Contains(pkgs, l) && count[l] > 0 {
			msgs = append(msgs, "README layout: "+l+" names no package")
			count[l] = 0
		}
	}
	return msgs
}
