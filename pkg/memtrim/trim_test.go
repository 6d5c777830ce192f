package memtrim

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/testbin"
)

// canary lives in the binary's writable data: Trim must leave its
// private copy alone (dropping it would bring back the file's value).
var canary = [8]byte{'f', 'r', 'o', 'm', 'f', 'i', 'l', 'e'}

// rollupRss is the process's Rss from smaps_rollup, read apart from
// ParseSmaps.
func rollupRss(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		t.Skipf("no smaps_rollup: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "Rss:" {
			n, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no Rss in smaps_rollup:\n%s", b)
	return 0
}

// checkTrimmed checks that a trim gave back most of the binary's pages.
func checkTrimmed(t *testing.T, r Result) {
	t.Helper()
	t.Log(r)
	if r.Mappings < 2 {
		t.Errorf("advised %d mappings, want the text and the read-only data (2 or more)", r.Mappings)
	}
	if r.ExeBefore < 1024 {
		t.Errorf("the binary's read-only pages before: %d kB resident, want 1024 or more (start-up maps most of it)", r.ExeBefore)
	}
	if r.ExeAfter > r.ExeBefore/2 {
		t.Errorf("the binary's read-only pages: %d -> %d kB, want at most half left", r.ExeBefore, r.ExeAfter)
	}
}

// serveOne serves and fetches one page on loopback: code the trim
// dropped runs again.
func serveOne(t *testing.T) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Query().Get("n"))
	}))
	defer srv.Close()
	res, err := http.Get(srv.URL + "?n=after")
	if err != nil {
		t.Fatalf("request after the trim: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if string(b) != "hello after" {
		t.Errorf("response after the trim = %q, want %q", b, "hello after")
	}
}

func TestTrimSelf(t *testing.T) {
	serveOne(t) // the code of a request is mapped before
	copy(canary[:], "inmemory")
	before := rollupRss(t)
	r, err := Trim()
	if err != nil {
		t.Fatalf("Trim: %v", err)
	}
	after := rollupRss(t)
	checkTrimmed(t, r)
	if drop := before - after; drop < (r.ExeBefore-r.ExeAfter)/2 {
		t.Errorf("smaps_rollup Rss %d -> %d kB: fell by %d, want at least half of the %d kB the trim reports", before, after, drop, r.ExeBefore-r.ExeAfter)
	}
	if string(canary[:]) != "inmemory" {
		t.Errorf("writable data after the trim = %q, want %q (a writable mapping was dropped)", canary, "inmemory")
	}
	serveOne(t)
}

// TestReadSmapsAllocatesLittle: Trim reads its own smaps (30 kB and
// more) without holding the whole file, its lines or copies of them in
// its heap, whose pages an idle daemon would keep (reading it whole
// grew web's anonymous memory by 0.4 MB).
func TestReadSmapsAllocatesLittle(t *testing.T) {
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	n := len(ParseSmaps(b))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	maps, err := readSmaps()
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	got := after.TotalAlloc - before.TotalAlloc
	limit := uint64(16<<10 + 512*len(maps))
	t.Logf("smaps: %d bytes, %d mappings; reading it allocated %d bytes", len(b), n, got)
	if got > limit {
		t.Errorf("readSmaps allocated %d bytes for %d mappings, want at most %d", got, len(maps), limit)
	}
}

func TestAfterStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	After(ctx, time.Hour, time.Millisecond, func(Result, error) { close(done) })
	cancel()
	got := make(chan Result, 1)
	After(context.Background(), time.Millisecond, 0, func(r Result, err error) {
		if err != nil {
			t.Error(err)
		}
		got <- r
	})
	select {
	case r := <-got:
		if r.Mappings == 0 {
			t.Errorf("After: trimmed nothing: %v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("After: no trim within 10 s")
	}
	select {
	case <-done:
		t.Error("After trimmed though its context had ended")
	default:
	}
}

// TestCollectReturnsGarbage: the heap's garbage stays resident after
// Trim (the collector has not run, or kept the freed pages) and Collect
// gives it back.
func TestCollectReturnsGarbage(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no collection but Collect's
	const size = 16 << 20
	garbage := func() {
		var keep [][]byte
		for range size / (64 << 10) {
			b := make([]byte, 64<<10)
			for i := range b { // fresh pages from the system are not resident until written
				b[i] = 1
			}
			keep = append(keep, b)
		}
		runtime.KeepAlive(keep)
	}
	garbage()
	r, err := Trim()
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r)
	if r.Collected || r.AnonBefore-r.AnonAfter > 4<<10 {
		t.Errorf("Trim: collected %t, anonymous %d -> %d kB; want the garbage (16 MB) kept", r.Collected, r.AnonBefore, r.AnonAfter)
	}
	garbage()
	if r, err = Collect(); err != nil {
		t.Fatal(err)
	}
	t.Log(r)
	if !r.Collected || r.AnonBefore-r.AnonAfter < 12<<10 {
		t.Errorf("Collect: collected %t, anonymous %d -> %d kB; want most of the 16 MB of garbage given back", r.Collected, r.AnonBefore, r.AnonAfter)
	}
	if r.Mappings < 2 {
		t.Errorf("Collect advised %d mappings of the binary, want 2 or more", r.Mappings)
	}
}

// TestTrimRenamedBinary runs a copy of the test binary that is removed
// while it runs, as upgrade.sh renames binaries over running ones: its
// mappings then read "(deleted)", and the trim still finds them by
// device and inode.
func TestTrimRenamedBinary(t *testing.T) {
	if os.Getenv("MEMTRIM_CHILD") != "" {
		return
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(t.TempDir(), "child")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	// From the disk, as after a boot: a file just written sits in the
	// page cache in large folios, and a fault maps a whole folio back.
	testbin.DropCache(t, exe)
	cmd := exec.Command(exe, "-test.run=^TestChildTrim$")
	cmd.Env = append(os.Environ(), "MEMTRIM_CHILD=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer in.Close()
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("child: %q, want ready", sc.Text())
	}
	if err := os.Remove(exe); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(in, "trim")
	var line string
	for sc.Scan() {
		if line = sc.Text(); strings.HasPrefix(line, "{") {
			break
		}
	}
	var r Result
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatalf("child's result %q: %v", line, err)
	}
	checkTrimmed(t, r)
}

// TestChildTrim is the child of TestTrimRenamedBinary.
func TestChildTrim(t *testing.T) {
	if os.Getenv("MEMTRIM_CHILD") == "" {
		t.Skip("runs as the child of TestTrimRenamedBinary")
	}
	serveOne(t)
	fmt.Println("ready")
	bufio.NewScanner(os.Stdin).Scan()
	b, _ := os.ReadFile("/proc/self/maps")
	if !strings.Contains(string(b), "(deleted)") {
		t.Errorf("the child's maps name no deleted file:\n%s", b)
	}
	r, err := Trim()
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(r)
	fmt.Printf("%s\n", j)
	serveOne(t)
}

// BenchmarkCollect times one round of the periodic trim (Collect) in
// this test binary: a heap of a few hundred kB, as the idle daemons'.
func BenchmarkCollect(b *testing.B) {
	for b.Loop() {
		if _, err := Collect(); err != nil {
			b.Fatal(err)
		}
	}
}
