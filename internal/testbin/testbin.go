// Package testbin gives tests the OS manager's binaries: the ones `make`
// built ($LUOYUN_BIN, set by `make test`), or fresh builds made the way
// the Makefile makes them (static, with the shipped build tags), so that
// a test never runs a different program from the one that ships.
package testbin

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Tags is the -tags value of the Makefile's TAGS variable (an
// integration test checks that the two agree).
//
// nethttpomithttp2 leaves the bundled HTTP/2 out of net/http: web and
// webssh serve HTTP/1.1 only (websockets need it anyway), and each binary
// maps about 0.4 MB less.
const Tags = "nethttpomithttp2"

// Components are the binaries of the /LuoYun tree.
var Components = []string{"floppyconf", "osc", "osm", "web", "webssh"}

// MulticallName is the one-binary flavour's file (cmd/luoyun); the five
// commands are symbolic links to it.
const MulticallName = "luoyun"

// BuildMulticall builds cmd/luoyun into dir as the Makefile's MULTICALL=1
// does, with the five commands as symbolic links to it.
func BuildMulticall(repo, dir string) error {
	if err := build(repo, dir, "./cmd/"+MulticallName); err != nil {
		return err
	}
	for _, c := range Components {
		if err := os.Symlink(MulticallName, filepath.Join(dir, c)); err != nil {
			return fmt.Errorf("multicall: %w", err)
		}
	}
	return nil
}

// build runs go build for pkgs into dir, static and with the shipped
// tags (not stripped, no version stamp).
func build(repo, dir string, pkgs ...string) error {
	args := append([]string{"build", "-trimpath", "-tags", Tags, "-o", dir + "/"}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// RepoRoot returns the directory holding go.mod, searching upwards from dir.
func RepoRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("no go.mod above " + dir)
		}
		d = parent
	}
}

// Dir returns a directory holding the named commands' binaries:
// $LUOYUN_BIN when set (each must be there), else tmp after building them
// into it from the repository at repo.
func Dir(repo, tmp string, names ...string) (string, error) {
	dir := os.Getenv("LUOYUN_BIN")
	if dir == "" {
		dir = tmp
		var pkgs []string
		for _, n := range names {
			pkgs = append(pkgs, "./cmd/"+n)
		}
		if err := build(repo, dir, pkgs...); err != nil {
			return "", err
		}
	}
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return "", fmt.Errorf("binaries: %w", err)
		}
	}
	return dir, nil
}

// Path returns the binary of one command for a test run from inside the
// repository: $LUOYUN_BIN/name, or one built into the test's temp dir.
func Path(t testing.TB, name string) string {
	t.Helper()
	repo, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := Dir(repo, t.TempDir(), name)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

// DropCache writes path's pages to disk and drops them from the page
// cache, so that the next run of it reads them from the disk as after a
// boot, not from the large folios a freshly written copy sits in.
func DropCache(t testing.TB, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		t.Fatalf("fdatasync %s: %v", path, err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Fatalf("fadvise %s: %v", path, err)
	}
}
