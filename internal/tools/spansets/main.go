// Command spansets writes a `go build -overlay` file that builds the Go
// runtime with smaller span sets; the Makefile builds the shipped
// binaries with it.
//
// Usage:
//
//	go run ./internal/tools/spansets GOROOT DIR
//
// It writes DIR/mspanset.go, GOROOT's runtime/mspanset.go with two
// constants changed, and DIR/overlay.json naming it, and prints the
// latter's path.
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
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// consts are the runtime's constants and the values the overlay gives them.
var consts = []struct {
	name  string
	value int
}{{"spanSetBlockEntries", 64}, {"spanSetInitSpineCap", 16}}

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

// write writes DIR/mspanset.go (patch of GOROOT's) and DIR/overlay.json
// and returns the latter's path.
func write(goroot, dir string) (string, error) {
	orig, err := filepath.Abs(filepath.Join(goroot, "src", "runtime", "mspanset.go"))
	if err != nil {
		return "", err
	}
	src, err := os.ReadFile(orig)
	if err != nil {
		return "", err
	}
	out, err := patch(src)
	if err != nil {
		return "", fmt.Errorf("%s: %w", orig, err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	file := filepath.Join(dir, "mspanset.go")
	if err := os.WriteFile(file, out, 0o644); err != nil {
		return "", err
	}
	j, err := json.Marshal(map[string]map[string]string{"Replace": {orig: file}})
	if err != nil {
		return "", err
	}
	overlay := filepath.Join(dir, "overlay.json")
	return overlay, os.WriteFile(overlay, append(j, '\n'), 0o644)
}

// patch gives each of consts its value in the runtime's mspanset.go. It
// fails unless each is declared exactly once as "\tNAME = NUMBER": a Go
// release that changed them needs this command looked at again.
func patch(src []byte) ([]byte, error) {
	for _, c := range consts {
		re := regexp.MustCompile(`(?m)^\t` + c.name + ` = [0-9]+\b.*$`)
		if n := len(re.FindAllIndex(src, -1)); n != 1 {
			return nil, fmt.Errorf("%d declarations of %s, want 1: this Go release's span sets are not the ones spansets knows", n, c.name)
		}
		src = re.ReplaceAll(src, []byte(fmt.Sprintf("\t%s = %d // internal/tools/spansets", c.name, c.value)))
	}
	return src, nil
}
