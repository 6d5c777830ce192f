// Package memtrim gives an idle daemon's free heap back to the system,
// every so often (settings memory.trim_interval).
//
// An idle daemon still works now and then (osm runs the status script
// every 5 s, which asks web for its page), and each time it allocates a
// little. The Go runtime collects only once the heap reaches its goal (4
// MB at GOGC=100) or two minutes after its previous collection, and
// returns freed pages to the system slowly: left alone, osm and web grow
// by megabytes over their first minutes. So every interval a daemon whose
// heap has allocated MinGarbage since the previous round collects it and
// returns its free pages (debug.FreeOSMemory).
package memtrim

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/luoyun/osmanager/pkg/clock"
)

// MinGarbage is how much the heap must have allocated since the previous
// round for a round to run: a daemon that did (nearly) nothing skips it,
// and never pays for the collector's first run (the runtime's own memory
// for marking, which a Go program that never collects never allocates:
// webssh with nobody logged in).
const MinGarbage = 64 << 10

// Result is what one round (Collect) gave back.
type Result struct {
	// Before and After are the memory the runtime holds from the system
	// (mapped and not released), in kB.
	Before, After int
	// Took is how long the round took.
	Took time.Duration
	// Classes is where the runtime's memory is after the round.
	Classes Classes
}

// Classes splits the memory the runtime holds (runtime.MemStats, the
// same figures as runtime/metrics' /memory/classes/...), in kB: mapped,
// most of it resident.
type Classes struct {
	// Objects is the heap's live (and not yet swept) objects.
	Objects int
	// Unused is the rest of the heap's spans in use: room between and
	// after objects, one partly used span per size class at least.
	Unused int
	// Free is free heap not yet returned to the system.
	Free int
	// Stacks is goroutine and thread stacks (in the heap and not).
	Stacks int
	// Meta is the collector's and allocator's structures: spans, the P's
	// caches, mark bits, work buffers, the sweeper's span sets.
	Meta int
	// Other is the runtime's other structures (profiling included).
	Other int
	// Threads is the process's threads (Ms), from /proc/self/task.
	Threads int
}

// ReadClasses reads where the runtime's memory is now.
func ReadClasses() Classes {
	c := readStats().classes
	c.Threads = threads()
	return c
}

// stats is what memtrim reads of runtime.MemStats, in kB but for allocs.
type stats struct {
	held    int    // memory the runtime holds from the system and has not released
	allocs  uint64 // bytes allocated on the heap since the start
	classes Classes
}

// readStats reads the runtime's memory statistics (Threads left 0). They
// come from runtime.ReadMemStats, not runtime/metrics: that package's
// initialiser builds a table of every metric (15 kB of heap, live for
// good) in each daemon that links it, and its first Read builds the
// runtime's own. ReadMemStats stops the world for microseconds at these
// heaps, once a minute at most; its 6 kB struct lives in this frame
// alone, so the goroutine's stack stays small above it.
func readStats() stats {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	kb := func(b uint64) int { return int(b >> 10) }
	return stats{
		held:   kb(m.Sys - m.HeapReleased),
		allocs: m.TotalAlloc,
		classes: Classes{
			Objects: kb(m.HeapAlloc),
			Unused:  kb(m.HeapInuse - m.HeapAlloc),
			Free:    kb(m.HeapIdle - m.HeapReleased),
			Stacks:  kb(m.StackSys),
			Meta:    kb(m.MSpanInuse + m.MCacheInuse + m.GCSys),
			Other:   kb(m.OtherSys + m.BuckHashSys),
		},
	}
}

// threads counts the process's threads (/proc/self/task); 0 when it
// cannot be read.
func threads() int {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0
	}
	return len(ents)
}

// String sums a round up in one line.
func (r Result) String() string {
	return fmt.Sprintf("heap returned (%s): the runtime's memory %d -> %d kB", r.Took.Round(10*time.Microsecond), r.Before, r.After)
}

// Collect collects the Go heap and returns its free pages to the system.
func Collect() Result {
	start := time.Now()
	r := Result{Before: readStats().held}
	debug.FreeOSMemory()
	after := readStats()
	r.After, r.Classes = after.held, after.classes
	r.Took = time.Since(start)
	r.Classes.Threads = threads()
	return r
}

// Every runs Collect every interval of c in a goroutine of its own, until
// ctx ends, skipping a round when the heap has allocated less than
// MinGarbage since the previous one; report gets each round's outcome
// (from that goroutine). every <= 0 runs nothing.
func Every(ctx context.Context, c clock.Clock, every time.Duration, report func(Result)) {
	if every <= 0 {
		return
	}
	go func() {
		allocated := func() uint64 { return readStats().allocs }
		last := allocated()
		tick := c.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C():
			}
			if now := allocated(); now-last < MinGarbage {
				continue
			}
			report(Collect())
			last = allocated()
		}
	}()
}
