package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestPatch(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "src", "runtime", "mspanset.go"))
	if err != nil {
		t.Skipf("no runtime source: %v", err)
	}
	out, err := patch(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\tspanSetBlockEntries = 64 //", "\tspanSetInitSpineCap = 16 //"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("patched source lacks %q", want)
		}
	}
	if len(out) < len(src)-100 {
		t.Errorf("patched source is %d bytes, the runtime's %d", len(out), len(src))
	}
	// A release whose constants moved or changed shape is refused.
	for _, bad := range []string{
		strings.Replace(string(src), "\tspanSetBlockEntries = 512", "\tspanSetBlockEntries uintptr = 512", 1),
		string(src) + "\nconst (\n\tspanSetInitSpineCap = 8\n)\n",
	} {
		if _, err := patch([]byte(bad)); err == nil {
			t.Errorf("patch accepted a source with the constants changed")
		}
	}
}

// TestSmallerSpanSets builds a program that keeps objects of 60 size
// classes and collects, with the runtime as shipped and with the
// overlay, and compares how much the runtime's own structures grew.
func TestSmallerSpanSets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the runtime twice")
	}
	dir := t.TempDir()
	overlay, err := write(runtime.GOROOT(), filepath.Join(dir, "overlay"))
	if err != nil {
		t.Fatal(err)
	}
	grew := func(flags ...string) int {
		bin := filepath.Join(dir, "collect")
		build := exec.Command("go", append(append([]string{"build"}, flags...), "-o", bin, "./testdata/collect")...)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build %v: %v\n%s", flags, err, out)
		}
		run := exec.Command(bin)
		run.Env = append(os.Environ(), "GOMAXPROCS=1")
		out, err := run.Output()
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	stock, small := grew(), grew("-overlay", overlay)
	t.Logf("the runtime's structures grew by %d kB as shipped, %d kB with smaller span sets", stock>>10, small>>10)
	if small*2 > stock {
		t.Errorf("with smaller span sets the runtime's structures grew by %d kB, as shipped %d kB: want at most half", small>>10, stock>>10)
	}
}
