package floppyconf

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zaptest"

	"github.com/luoyun/osmanager/internal/floppytest"
	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/pkg/atomicfile"
	"github.com/luoyun/osmanager/pkg/clock"
	"github.com/luoyun/osmanager/pkg/floppy"
)

// fakeRunner stands in for modprobe: it records calls and, when img is
// set, makes the device node appear as the driver would.
type fakeRunner struct {
	mu    sync.Mutex
	calls []string
	dev   string
	img   []byte
	err   error
}

func (f *fakeRunner) Run(_ context.Context, name string, args ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name+" "+strings.Join(args, " "))
	if f.img != nil {
		// Appear a little later, from another goroutine, like udev.
		// Written aside and renamed, so the node appears whole.
		go func() {
			if os.WriteFile(f.dev+".new", f.img, 0o600) == nil {
				_ = os.Rename(f.dev+".new", f.dev)
			}
		}()
	}
	return f.err
}

func writeImage(t *testing.T, ini []byte) string {
	t.Helper()
	img, err := floppy.Make(ini)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "fd0")
	if err := os.WriteFile(p, img, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUpdateWritesOnlyWhenChanged(t *testing.T) {
	ini := floppytest.Ini(2500)
	dev := writeImage(t, ini)
	dest := filepath.Join(t.TempDir(), "conf", "luoyun.conf")
	cfg := Config{Device: dev, Dest: dest, Wait: time.Second}
	log := zaptest.NewLogger(t)
	for i, want := range []atomicfile.Result{atomicfile.Changed, atomicfile.Unchanged} {
		before, _ := os.Stat(dest)
		res, err := Update(context.Background(), cfg, log)
		if err != nil || res.Result != want || len(res.Problems) != 0 {
			t.Fatalf("run %d: Update = %+v, %v; want %v", i+1, res, err, want)
		}
		st, err := os.Stat(dest)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("run %d: mode %v, want 0600", i+1, st.Mode().Perm())
		}
		if before != nil && !os.SameFile(before, st) {
			t.Errorf("run %d: luoyun.conf was replaced though unchanged", i+1)
		}
		if got, _ := os.ReadFile(dest); !bytes.Equal(got, ini) {
			t.Errorf("run %d: luoyun.conf holds %d bytes, want the floppy's %d", i+1, len(got), len(ini))
		}
	}
}

// TestUpdateFixesMode: a world-readable luoyun.conf with the same content
// becomes 0600.
func TestUpdateFixesMode(t *testing.T) {
	ini := floppytest.Ini(949)
	dest := filepath.Join(t.TempDir(), "luoyun.conf")
	if err := os.WriteFile(dest, ini, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dest, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Update(context.Background(), Config{Device: writeImage(t, ini), Dest: dest}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(dest); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
}

func TestUpdateFailureLeavesConfUntouched(t *testing.T) {
	old := []byte("TAG=1\nKEY=old\n")
	good, _ := floppy.Make(floppytest.Ini(949))
	noFile := bytes.Clone(good)
	noFile[0x2200] = 0
	for _, tc := range []struct {
		name string
		img  []byte // nil: no device at all
		want string
	}{
		{"no device", nil, "does not exist"},
		{"empty ini", mustMake(t, []byte{}), "empty"},
		{"no luoyun.ini", noFile, "no luoyun.ini"},
		{"truncated", good[:0x6400+100], "truncated"},
		{"zero-length device", []byte{}, "too small"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			dest := filepath.Join(dir, "luoyun.conf")
			if err := os.WriteFile(dest, old, 0o600); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Stat(dest)
			dev := filepath.Join(dir, "fd0")
			if tc.img != nil {
				if err := os.WriteFile(dev, tc.img, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			run := &fakeRunner{err: errors.New("exit status 1")}
			_, err := Update(context.Background(), Config{Device: dev, Dest: dest, Wait: 100 * time.Millisecond, Runner: run}, zaptest.NewLogger(t))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Update error = %v, want one mentioning %q", err, tc.want)
			}
			after, _ := os.Stat(dest)
			if got, _ := os.ReadFile(dest); !bytes.Equal(got, old) || !os.SameFile(before, after) {
				t.Errorf("luoyun.conf changed to %q", got)
			}
			if ents, _ := os.ReadDir(dir); len(ents) > 2 {
				t.Errorf("left files behind: %v", ents)
			}
		})
	}
}

// TestUpdateWritesDespiteBadLines: what a compute node writes for an
// instance without config (JSON=(null)), a line without '=', a typo and a
// TAG that is no number are reported with their lines, and luoyun.conf is
// written all the same.
func TestUpdateWritesDespiteBadLines(t *testing.T) {
	ini := []byte("CLC_IP=10.0.0.1\nCLC_PROT=1369\nTAG=x1\nKEY=015e33a8-4b1e-4c1a-9d0a-3c2f6c1d8e77\nstray\nJSON=(null)\n")
	dev := writeImage(t, ini)
	dest := filepath.Join(t.TempDir(), "luoyun.conf")
	out, err := Update(context.Background(), Config{Device: dev, Dest: dest, Wait: time.Second}, zaptest.NewLogger(t))
	if err != nil || out.Result != atomicfile.Changed {
		t.Fatalf("Update = %+v, %v; want written", out, err)
	}
	if got, _ := os.ReadFile(dest); !bytes.Equal(got, ini) {
		t.Errorf("luoyun.conf = %q, want the ini as read", got)
	}
	var got []string
	for _, p := range out.Problems {
		got = append(got, p.Error())
	}
	want := []string{
		`luoyun.ini line 2: unknown key "CLC_PROT", kept but not used; did you mean CLC_PORT?`,
		`luoyun.ini line 3: TAG: "x1" is not a number`,
		`luoyun.ini line 5: no '=' in the line; skipped`,
		`luoyun.ini line 6: JSON: not valid JSON at character 1; nothing from it is applied`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func mustMake(t *testing.T, ini []byte) []byte {
	t.Helper()
	img, err := floppy.Make(ini)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestUpdateWaitsForDevice: a missing node makes it run modprobe floppy
// and wait until the node appears.
func TestUpdateWaitsForDevice(t *testing.T) {
	ini := floppytest.Ini(513)
	dir := t.TempDir()
	dev := filepath.Join(dir, "fd0")
	run := &fakeRunner{dev: dev, img: mustMake(t, ini)}
	dest := filepath.Join(dir, "luoyun.conf")
	res, err := Update(context.Background(), Config{Device: dev, Dest: dest, Wait: 10 * time.Second, Poll: 5 * time.Millisecond, Runner: run, DevDir: dir}, zaptest.NewLogger(t))
	if err != nil || res.Result != atomicfile.Changed {
		t.Fatalf("Update = %v, %v; want changed", res, err)
	}
	if len(run.calls) != 1 || run.calls[0] != "modprobe floppy" {
		t.Errorf("runner calls = %q, want [modprobe floppy]", run.calls)
	}
	// A present device: no modprobe.
	run2 := &fakeRunner{}
	if _, err := Update(context.Background(), Config{Device: dev, Dest: dest, Runner: run2}, zaptest.NewLogger(t)); err != nil {
		t.Fatal(err)
	}
	if len(run2.calls) != 0 {
		t.Errorf("runner calls with the device present = %q, want none", run2.calls)
	}
}

func TestUpdateWaitGivesUp(t *testing.T) {
	devDir := t.TempDir()
	dev := filepath.Join(devDir, "fd0")
	run := &fakeRunner{err: errors.New("modprobe: FATAL: Module floppy not found")}
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	done := make(chan error, 1)
	go func() {
		_, err := Update(context.Background(), Config{Device: dev, Dest: dev + ".conf", Wait: 300 * time.Millisecond, Runner: run, DevDir: devDir, Clock: clk}, zaptest.NewLogger(t))
		done <- err
	}()
	// The wait's deadline and poll ticker are set: then time moves.
	waitUntil(t, "the wait's timers", func() bool { return clk.Waiters() == 2 })
	clk.Advance(299 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("gave up before --wait had passed: %v", err)
	default:
	}
	clk.Advance(time.Millisecond)
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("still waiting after --wait had passed")
	}
	if err == nil || !strings.Contains(err.Error(), "within 300ms") || !strings.Contains(err.Error(), "Module floppy not found") {
		t.Fatalf("Update error = %v, want the wait and the modprobe failure named", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Update(ctx, Config{Device: dev, Dest: dev + ".conf", Wait: time.Hour, Runner: &fakeRunner{}, DevDir: devDir}, zaptest.NewLogger(t)); !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a cancelled context = %v, want context.Canceled", err)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, poll.Timeout, what, cond)
}

// TestMissingImageNoModprobe: a missing image file outside the device
// directory fails at once, without loading a kernel module.
func TestMissingImageNoModprobe(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "luoyun.img")
	run := &fakeRunner{}
	start := time.Now()
	_, err := Update(context.Background(), Config{Device: img, Dest: filepath.Join(dir, "luoyun.conf"), Wait: time.Hour, Runner: run}, zaptest.NewLogger(t))
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Update(missing image) = %v, want a does-not-exist error", err)
	}
	if len(run.calls) != 0 {
		t.Errorf("runner calls = %q, want none for an image path", run.calls)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("took %v: waited for an image file", el)
	}
}
