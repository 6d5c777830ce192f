package filexfer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func target(t *testing.T, dir string) Target {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return Target{Dir: dir, Dev: st.Dev, Ino: st.Ino, Umask: 0o022}
}

func TestPut(t *testing.T) {
	dir := t.TempDir()
	tg := target(t, dir)
	put := func(name, data string) (string, error) {
		return Put(tg, name, int64(len(data)), strings.NewReader(data))
	}
	if got, err := put("a.txt", "one"); err != nil || got != "a.txt" {
		t.Fatalf("first: %q %v", got, err)
	}
	if got, err := put("a.txt", "two"); err != nil || got != "a (1).txt" {
		t.Fatalf("second: %q %v", got, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(b) != "one" {
		t.Fatalf("a.txt overwritten: %q", b)
	}
	fi, _ := os.Stat(filepath.Join(dir, "a (1).txt"))
	if fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, want 0644 (umask 022)", fi.Mode())
	}
	// A dangling symbolic link is a name taken, never followed.
	outside := filepath.Join(t.TempDir(), "target")
	if err := os.Symlink(outside, filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	if got, err := put("l", "x"); err != nil || got != "l (1)" {
		t.Fatalf("link: %q %v", got, err)
	}
	if _, err := os.Lstat(outside); err == nil {
		t.Fatal("wrote through the link")
	}
	// Not a plain name: refused.
	if _, err := put("../x", "x"); err == nil {
		t.Fatal("../x accepted")
	}
	// Short and long input: nothing left.
	if _, err := Put(tg, "short", 10, strings.NewReader("abc")); err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Fatalf("short: %v", err)
	}
	if _, err := Put(tg, "long", 2, strings.NewReader("abc")); err == nil {
		t.Fatal("long accepted")
	}
	if _, err := Put(tg, "failing", 10, io.MultiReader(strings.NewReader("abc"), errReader{})); err == nil {
		t.Fatal("read error accepted")
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "a (1).txt,a.txt,l,l (1)" {
		t.Fatalf("directory holds %v", names)
	}
	// The path no longer leads to the directory the server saw.
	moved := tg
	moved.Ino++
	if _, err := Put(moved, "m", 1, bytes.NewReader([]byte("m"))); err == nil || !strings.Contains(err.Error(), "no longer") {
		t.Fatalf("moved: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestRunPutRefusesWrongUID(t *testing.T) {
	dir := t.TempDir()
	tg := target(t, dir)
	var out, errb bytes.Buffer
	args := PutArgs(tg, uint32(os.Getuid()+1), 1, "x")
	if code := RunPut(args, strings.NewReader("x"), &out, &errb); code == 0 || !strings.Contains(errb.String(), "running as uid") {
		t.Fatalf("RunPut as another uid: %d %q", code, errb.String())
	}
	args = PutArgs(tg, uint32(os.Getuid()), 1, "../x")
	if code := RunPut(args, strings.NewReader("x"), &out, &errb); code != 0 || strings.TrimSpace(out.String()) != "x" {
		t.Fatalf("RunPut: %d %q %q", code, out.String(), errb.String())
	}
}

func TestPacer(t *testing.T) {
	p := &Pacer{Rate: 1 << 20}
	if err := p.Wait(t.Context(), 1<<20); err != nil {
		t.Fatal(err)
	}
	// The burst is spent: the next MiB is due in a second; a cancelled
	// context ends the wait.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := p.Wait(ctx, 1<<20); err == nil {
		t.Fatal("no wait after the burst")
	}
	var off Pacer
	if err := off.Wait(ctx, 1<<30); err != nil {
		t.Fatal(err)
	}
}
