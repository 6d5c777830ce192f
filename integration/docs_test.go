package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docsMaxLines is the budget of docs/*.md together: reference pages, not
// a notebook.
const docsMaxLines = 2400

// readmeMaxLine is the longest line the README may hold, in bytes.
const readmeMaxLine = 400

var (
	// historyWord finds how the work was organised: helpers, the
	// sessions it was done in, superseded choices, issue numbers. A
	// terminal's session or a Unix session is product, not history. Code
	// spans and the allowed phrases are taken out of a line first.
	historyWord = regexp.MustCompile(`(?i)\bhelpers?\b|\b(earlier|later|previous|this|former|past|parallel|helper's|lead's)\s+sessions?\b|\bsessions?\s+of\s+(the|this)\s+(project|work)\b|superseded|\bissues?\s*#?\d+|(^|[^\w&/])#\d+\b`)
	// historyAllowed are phrases of the product that hold those words:
	// webssh's transfer helper process, a test's poll helper.
	historyAllowed = regexp.MustCompile(`(?i)\b(upload|transfer|privilege|poll|test)\s+helpers?\b`)
	codeSpan       = regexp.MustCompile("`[^`]*`")
	// mdLink finds a Markdown link's target.
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)`)
	// outside names places that only exist on the machine it was written on.
	outside = regexp.MustCompile(`/work/|\bshared/docs\b`)
)

// docFiles returns README.md and docs/*.md, relative to the root.
func docFiles(t *testing.T, root string) (readme string, docs []string) {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs/*.md under %s: %v", root, err)
	}
	return filepath.Join(root, "README.md"), docs
}

// proseLines returns a file's lines with fenced code blocks blanked, so
// that shell comments and code in examples are not read as prose.
func proseLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	out := make([]string, len(lines))
	fenced := false
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			out[i] = l
		}
	}
	return out
}

// TestDocsBudget keeps docs/*.md within their line budget.
func TestDocsBudget(t *testing.T) {
	_, docs := docFiles(t, repoRoot(t))
	total := 0
	for _, p := range docs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		n := strings.Count(string(data), "\n")
		t.Logf("%s: %d lines", filepath.Base(p), n)
		total += n
	}
	if total > docsMaxLines {
		t.Errorf("docs/*.md hold %d lines, the budget is %d", total, docsMaxLines)
	}
}

// TestDocsNoHistory checks that README and docs describe the product, not
// how the work on it was organised (git log holds that).
func TestDocsNoHistory(t *testing.T) {
	root := repoRoot(t)
	readme, docs := docFiles(t, root)
	for _, p := range append([]string{readme}, docs...) {
		for i, l := range proseLines(t, p) {
			prose := historyAllowed.ReplaceAllString(codeSpan.ReplaceAllString(l, ""), "")
			if m := historyWord.FindString(prose); m != "" {
				rel, _ := filepath.Rel(root, p)
				t.Errorf("%s:%d names %q: %s", rel, i+1, strings.TrimSpace(m), l)
			}
		}
	}
}

// TestReadmeLineLength keeps every README line readable.
func TestReadmeLineLength(t *testing.T) {
	readme, _ := docFiles(t, repoRoot(t))
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if len(l) > readmeMaxLine {
			t.Errorf("README.md:%d is %d bytes long, at most %d", i+1, len(l), readmeMaxLine)
		}
	}
}

// TestDocsStayInRepo checks that README and docs point at nothing a clone
// lacks: no link leaves the repository, no path names the machine they
// were written on.
func TestDocsStayInRepo(t *testing.T) {
	root := repoRoot(t)
	readme, docs := docFiles(t, root)
	for _, p := range append([]string{readme}, docs...) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		for i, l := range strings.Split(string(data), "\n") {
			if m := outside.FindString(l); m != "" {
				t.Errorf("%s:%d points outside the repository (%s): %s", rel, i+1, m, l)
			}
			for _, m := range mdLink.FindAllStringSubmatch(l, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				target, _, _ = strings.Cut(target, "#")
				abs := filepath.Clean(filepath.Join(filepath.Dir(p), target))
				if filepath.IsAbs(target) {
					abs = target
				}
				if r, err := filepath.Rel(root, abs); err != nil || r == ".." || strings.HasPrefix(r, "../") {
					t.Errorf("%s:%d links outside the repository: %s", rel, i+1, m[1])
					continue
				}
				if _, err := os.Stat(abs); err != nil {
					t.Errorf("%s:%d links to a missing file: %s", rel, i+1, m[1])
				}
			}
		}
	}
}
