package memtrim

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/pkg/clock"
)

// anonKB is the process's anonymous memory from smaps_rollup: what the
// system cannot take back.
func anonKB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		t.Skipf("no smaps_rollup: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "Anonymous:" {
			n, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no Anonymous in smaps_rollup:\n%s", b)
	return 0
}

// garbage allocates size bytes, writes them (fresh pages from the system
// are not resident until written) and drops them.
func garbage(size int) {
	var keep [][]byte
	for range size / (64 << 10) {
		b := make([]byte, 64<<10)
		for i := range b {
			b[i] = 1
		}
		keep = append(keep, b)
	}
	runtime.KeepAlive(keep)
}

// TestCollectReturnsGarbage: the heap's garbage stays resident until
// Collect, which gives it back to the system.
func TestCollectReturnsGarbage(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no collection but Collect's
	const size = 16 << 20
	garbage(size)
	before := anonKB(t)
	r := Collect()
	after := anonKB(t)
	t.Logf("%v; anonymous %d -> %d kB", r, before, after)
	if before-after < 12<<10 {
		t.Errorf("Collect: anonymous memory %d -> %d kB, want most of the 16 MB of garbage given back", before, after)
	}
	if r.Before-r.After < 12<<10 {
		t.Errorf("Collect reports %d -> %d kB, want most of the 16 MB of garbage given back", r.Before, r.After)
	}
}

// TestEveryReturnsGarbage: every interval, a process whose heap
// allocates collects it and gives it back, until its context ends.
func TestEveryReturnsGarbage(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rounds := make(chan Result, 100)
	f := clock.NewFake(time.Unix(0, 0))
	Every(ctx, f, 20*time.Millisecond, func(r Result) { rounds <- r })
	poll.Until(t, poll.Timeout, "the rounds' ticker", func() bool { return f.Waiters() == 1 })
	garbage(16 << 20)
	before := anonKB(t)
	after := before
	if !poll.Wait(poll.Timeout, func() bool {
		garbage(128 << 10) // the daemon's work goes on: the next round is not skipped
		f.Advance(20 * time.Millisecond)
		after = anonKB(t)
		return before-after >= 12<<10
	}) {
		t.Errorf("anonymous memory %d kB after 16 MB of garbage, %d kB after the rounds of %v: want most of it given back", before, after, poll.Timeout)
	}
	// The round that gave the memory back reports once it has returned.
	if !poll.Wait(poll.Timeout, func() bool { return len(rounds) > 0 }) {
		t.Error("no round reported")
	}
	cancel()
	// The ticker stops when the goroutine returns: a round under way has ended.
	poll.Until(t, poll.Timeout, "the rounds' end", func() bool { return f.Waiters() == 0 })
	for len(rounds) > 0 {
		<-rounds
	}
	for range 5 { // five intervals after the end, with garbage
		garbage(1 << 20)
		f.Advance(20 * time.Millisecond)
	}
	if n := len(rounds); n > 0 {
		t.Errorf("%d rounds after the context ended, want none", n)
	}
}

// TestEverySkipsIdleRounds: a process that allocates (nearly) nothing
// skips the rounds; one that allocates MinGarbage gets one.
func TestEverySkipsIdleRounds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rounds := make(chan Result, 100)
	f := clock.NewFake(time.Unix(0, 0))
	Every(ctx, f, 5*time.Millisecond, func(r Result) { rounds <- r })
	poll.Until(t, poll.Timeout, "the rounds' ticker", func() bool { return f.Waiters() == 1 })
	for range 20 {
		f.Advance(5 * time.Millisecond)
		runtime.Gosched()
	}
	if n := len(rounds); n != 0 {
		t.Errorf("%d rounds without garbage, want none", n)
	}
	garbage(1 << 20)
	poll.Until(t, poll.Timeout, "a round after 1 MB of garbage", func() bool {
		f.Advance(5 * time.Millisecond)
		return len(rounds) > 0
	})
}

// TestEveryZero: an interval of 0 runs no round.
func TestEveryZero(t *testing.T) {
	rounds := make(chan Result, 1)
	f := clock.NewFake(time.Unix(0, 0))
	Every(context.Background(), f, 0, func(r Result) { rounds <- r })
	garbage(1 << 20)
	if n := f.Waiters(); n != 0 {
		t.Errorf("Every(0) set %d timers, want none", n)
	}
	f.Advance(time.Hour)
	if len(rounds) != 0 {
		t.Error("Every(0) ran a round")
	}
}

// BenchmarkCollect times one round in this test binary: a heap of a few
// hundred kB, as the idle daemons'.
func BenchmarkCollect(b *testing.B) {
	for b.Loop() {
		Collect()
	}
}

// TestCollectClasses: a round says where the runtime's memory is.
func TestCollectClasses(t *testing.T) {
	garbage(1 << 20)
	c := Collect().Classes
	if c.Objects <= 0 || c.Unused < 0 || c.Stacks <= 0 || c.Meta <= 0 || c.Threads < 1 {
		t.Errorf("classes %+v: want objects, stacks, metadata and threads", c)
	}
}
