// Command spansets writes a `go build -overlay` file that builds the Go
// runtime with smaller span sets and mark-bit arenas; the Makefile builds
// the shipped binaries with it.
//
// Usage:
//
//	go run ./internal/tools/spansets GOROOT DIR
//
// It writes DIR/mspanset.go and DIR/mheap.go, GOROOT's runtime files with
// three constants changed, and DIR/overlay.json naming them, and prints
// the latter's path.
//
// Why: the collector's sweeper keeps the spans of each size class in
// four span sets (partial and full, swept and unswept). A set takes a 2
// kB spine and a 4.6 kB block at its first span, from memory the runtime
// never gives back, sized for a heap of a gigabyte. A daemon whose heap
// is a few hundred kB in 60-odd size classes so holds about 0.6–0.9 MB
// after its first two collections, more than its live objects.
// spanSetBlockEntries 512 -> 64 and spanSetInitSpineCap 256 -> 16 make a
// block 1 kB and a spine 128 B; a spine still doubles as it needs to, and
// blocks are still recycled, so a big heap only takes more of them.
//
// Likewise the spans' mark and allocation bits come from 64 kB arenas
// that the runtime never gives back and clears whole each time it reuses
// one: a daemon that collects keeps three or four of them in rotation, so
// a heap whose bits take a few kB per cycle holds 0.2–0.25 MB of them,
// resident, after a few minutes of collections. gcBitsChunkBytes 64 kB ->
// 8 kB makes each 8 kB (the bits of the largest span take 128 B); a
// cycle needing more bits chains more arenas, as it does now.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// consts are the runtime's constants the overlay changes: the file of
// GOROOT/src/runtime declaring each, the declaration as the known
// releases write it (matching exactly one line) and the line that takes
// its place.
var consts = []struct {
	file, name string
	decl       *regexp.Regexp
	line       string
}{
	{"mspanset.go", "spanSetBlockEntries", regexp.MustCompile(`(?m)^\tspanSetBlockEntries = [0-9]+\b.*$`), "\tspanSetBlockEntries = 64"},
	{"mspanset.go", "spanSetInitSpineCap", regexp.MustCompile(`(?m)^\tspanSetInitSpineCap = [0-9]+\b.*$`), "\tspanSetInitSpineCap = 16"},
	{"mheap.go", "gcBitsChunkBytes", regexp.MustCompile(`(?m)^const gcBitsChunkBytes = uintptr\(64 << 10\)$`), "const gcBitsChunkBytes = uintptr(8 << 10)"},
}

// files are the runtime's files consts live in, in order.
var files = []string{"mspanset.go", "mheap.go"}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: spansets GOROOT DIR")
		os.Exit(2)
	}
	overlay, err := write(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintf(os.Stderr, "spansets: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(overlay)
}

// write writes DIR/mspanset.go and DIR/mheap.go (patches of GOROOT's) and
// DIR/overlay.json and returns the latter's path.
func write(goroot, dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	replace := map[string]string{}
	for _, name := range files {
		orig, err := filepath.Abs(filepath.Join(goroot, "src", "runtime", name))
		if err != nil {
			return "", err
		}
		src, err := os.ReadFile(orig)
		if err != nil {
			return "", err
		}
		out, err := patch(name, src)
		if err != nil {
			return "", fmt.Errorf("%s: %w", orig, err)
		}
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, out, 0o644); err != nil {
			return "", err
		}
		replace[orig] = file
	}
	j, err := json.Marshal(map[string]map[string]string{"Replace": replace})
	if err != nil {
		return "", err
	}
	overlay := filepath.Join(dir, "overlay.json")
	return overlay, os.WriteFile(overlay, append(j, '\n'), 0o644)
}

// patch gives each of consts declared in the runtime's file name its
// value in src. It fails unless each is declared exactly once as the
// known releases declare it: a Go release that changed them needs this
// command looked at again.
func patch(name string, src []byte) ([]byte, error) {
	for _, c := range consts {
		if c.file != name {
			continue
		}
		if n := len(c.decl.FindAllIndex(src, -1)); n != 1 {
			return nil, fmt.Errorf("%d declarations of %s as %s, want 1: this Go release's runtime is not the one spansets knows", n, c.name, c.decl)
		}
		src = c.decl.ReplaceAll(src, []byte(c.line+" // internal/tools/spansets"))
	}
	return src, nil
}
