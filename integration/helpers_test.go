package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/luoyun/osmanager/internal/poll"
)

// repoRoot is the repository's top directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "osmanager.sh")); err != nil {
		t.Fatalf("repository root not found: %v", err)
	}
	return dir
}

// copyPath copies a file or directory tree from src to dst, keeping modes
// and symlinks.
func copyPath(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, target)
		case info.IsDir():
			return os.MkdirAll(target, info.Mode().Perm())
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, info.Mode().Perm())
		}
	})
	if err != nil {
		t.Fatalf("copy %s to %s: %v", src, dst, err)
	}
}

// makeTree lays out a /LuoYun tree (scripts, init files, custom/, build/)
// from the repository at dir, without binaries.
func makeTree(t testing.TB, dir string) {
	t.Helper()
	root := repoRoot(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"osmanager.sh", "install.sh", "uninstall.sh", "init", "custom", "build"} {
		copyPath(t, filepath.Join(root, name), filepath.Join(dir, name))
	}
}

// snapshot describes every entry under root: "dir", "link -> target" or
// "file MODE content" (a length and sha256 for large files).
func snapshot(t testing.TB, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			m[rel] = "link -> " + l
		case info.IsDir():
			m[rel] = "dir"
		default:
			data, _ := os.ReadFile(p)
			if len(data) > 4096 {
				m[rel] = fmt.Sprintf("file %v %d bytes sha256 %x", info.Mode().Perm(), len(data), sha256.Sum256(data))
			} else {
				m[rel] = fmt.Sprintf("file %v %q", info.Mode().Perm(), data)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// diffKeys returns the entries added to and removed from before.
func diffKeys(before, after map[string]string) (added, removed []string) {
	for k := range after {
		if _, ok := before[k]; !ok {
			added = append(added, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			removed = append(removed, k)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	return added, removed
}

// changed lists entries present in both whose description differs.
func changed(before, after map[string]string) []string {
	var out []string
	for k, v := range before {
		if w, ok := after[k]; ok && v != w {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

type result struct {
	out  string
	code int
}

// runScript runs argv with extra environment, returning combined output
// and exit code; it fails the test when the program cannot run at all.
func runScript(t testing.TB, env []string, argv ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run %v: %v", argv, err)
		}
		code = ee.ExitCode()
	}
	return result{buf.String(), code}
}

// shells lists the POSIX shells the scripts are checked with: the system's
// /bin/sh and, when installed, busybox's (what small appliances use).
func shells(t testing.TB) [][]string {
	out := [][]string{{"/bin/sh"}}
	if bb, err := exec.LookPath("busybox"); err == nil {
		out = append(out, []string{bb, "sh"})
	}
	return out
}

func shellName(sh []string) string { return filepath.Base(strings.Join(sh, "-")) }

// freePort returns a loopback TCP port that nothing listens on.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// waitFor polls cond until it returns true or timeout passes
// (poll.Wait); it reports whether cond became true.
func waitFor(timeout time.Duration, cond func() bool) bool {
	return poll.Wait(timeout, cond)
}

func sortedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

var _ = cmp.Diff
