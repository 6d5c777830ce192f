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
	for _, tt := range []struct {
		file string
		want []string // lines of the patched source
		bad  []func(string) string
	}{
		{"mspanset.go", []string{"\tspanSetBlockEntries = 64 //", "\tspanSetInitSpineCap = 16 //"}, []func(string) string{
			func(s string) string {
				return strings.Replace(s, "\tspanSetBlockEntries = 512", "\tspanSetBlockEntries uintptr = 512", 1)
			},
			func(s string) string { return s + "\nconst (\n\tspanSetInitSpineCap = 8\n)\n" },
		}},
		{"mheap.go", []string{"\nconst gcBitsChunkBytes = uintptr(8 << 10) //"}, []func(string) string{
			func(s string) string {
				return strings.Replace(s, "gcBitsChunkBytes = uintptr(64 << 10)", "gcBitsChunkBytes = uintptr(16 << 10)", 1)
			},
			func(s string) string { return s + "\nconst gcBitsChunkBytes = uintptr(64 << 10)\n" },
		}},
	} {
		src, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "src", "runtime", tt.file))
		if err != nil {
			t.Skipf("no runtime source: %v", err)
		}
		out, err := patch(tt.file, src)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range tt.want {
			if !strings.Contains(string(out), want) {
				t.Errorf("patched %s lacks %q", tt.file, want)
			}
		}
		if len(out) < len(src)-100 {
			t.Errorf("patched %s is %d bytes, the runtime's %d", tt.file, len(out), len(src))
		}
		// A release whose constants moved or changed shape is refused.
		for i, bad := range tt.bad {
			if _, err := patch(tt.file, []byte(bad(string(src)))); err == nil {
				t.Errorf("patch accepted %s with its constants changed (case %d)", tt.file, i)
			}
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
	stock, small := grewKB(t, dir, "./testdata/collect"), grewKB(t, dir, "./testdata/collect", "-overlay", overlay)
	t.Logf("the runtime's structures grew by %d kB as shipped, %d kB with smaller span sets", stock, small)
	if small*2 > stock {
		t.Errorf("with smaller span sets the runtime's structures grew by %d kB, as shipped %d kB: want at most half", small, stock)
	}
}

// TestSmallerGCBits builds a program that keeps a small heap and
// collects 20 times, with the runtime as shipped and with the overlay,
// and compares how much its anonymous memory grew: as shipped, each
// mark-bit arena the runtime reuses is cleared whole, 64 kB resident.
func TestSmallerGCBits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the runtime twice")
	}
	if _, err := os.Stat("/proc/self/smaps_rollup"); err != nil {
		t.Skipf("no smaps_rollup: %v", err)
	}
	dir := t.TempDir()
	overlay, err := write(runtime.GOROOT(), filepath.Join(dir, "overlay"))
	if err != nil {
		t.Fatal(err)
	}
	stock, small := grewKB(t, dir, "./testdata/gcbits"), grewKB(t, dir, "./testdata/gcbits", "-overlay", overlay)
	t.Logf("anonymous memory grew by %d kB over the collections as shipped, %d kB with the overlay", stock, small)
	if small*2 > stock {
		t.Errorf("with the overlay anonymous memory grew by %d kB, as shipped %d kB: want at most half", small, stock)
	}
}

// grewKB builds the program pkg (with the go build flags) into dir, runs
// it on one P and returns the number it prints: by how much something
// grew, in kB.
func grewKB(t *testing.T, dir, pkg string, flags ...string) int {
	t.Helper()
	bin := filepath.Join(dir, filepath.Base(pkg))
	build := exec.Command("go", append(append([]string{"build"}, flags...), "-o", bin, pkg)...)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %v %s: %v\n%s", flags, pkg, err, out)
	}
	run := exec.Command(bin)
	run.Env = append(os.Environ(), "GOMAXPROCS=1")
	out, err := run.Output()
	if err != nil {
		t.Fatalf("%s: %v", pkg, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
