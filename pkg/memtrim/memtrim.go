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
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
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

// Classes splits the memory the runtime holds (runtime/metrics'
// /memory/classes/...), in kB: mapped, most of it resident.
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

// classNames are the runtime/metrics that Classes sums, in order:
// Objects, Unused, Free, Stacks (2), Meta (3), Other (2).
var classNames = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/memory/classes/os-stacks:bytes",
	"/memory/classes/metadata/mspan/inuse:bytes",
	"/memory/classes/metadata/mcache/inuse:bytes",
	"/memory/classes/metadata/other:bytes",
	"/memory/classes/other:bytes",
	"/memory/classes/profiling/buckets:bytes",
}

// ReadClasses reads where the runtime's memory is now.
func ReadClasses() Classes {
	s := make([]metrics.Sample, len(classNames))
	for i, n := range classNames {
		s[i].Name = n
	}
	metrics.Read(s)
	kb := func(i ...int) int {
		var n uint64
		for _, j := range i {
			if s[j].Value.Kind() == metrics.KindUint64 {
				n += s[j].Value.Uint64()
			}
		}
		return int(n >> 10)
	}
	c := Classes{Objects: kb(0), Unused: kb(1), Free: kb(2), Stacks: kb(3, 4), Meta: kb(5, 6, 7), Other: kb(8, 9)}
	if ents, err := os.ReadDir("/proc/self/task"); err == nil {
		c.Threads = len(ents)
	}
	return c
}

// String sums a round up in one line.
func (r Result) String() string {
	return fmt.Sprintf("heap returned (%s): the runtime's memory %d -> %d kB", r.Took.Round(10*time.Microsecond), r.Before, r.After)
}

// Collect collects the Go heap and returns its free pages to the system.
func Collect() Result {
	start := time.Now()
	r := Result{Before: heldKB()}
	debug.FreeOSMemory()
	r.After = heldKB()
	r.Took = time.Since(start)
	r.Classes = ReadClasses()
	return r
}

// held are the runtime/metrics heldKB reads.
var held = []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}

// heldKB returns the memory the runtime holds from the system and has
// not released, in kB.
func heldKB() int {
	metrics.Read(held)
	if held[0].Value.Kind() != metrics.KindUint64 || held[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int((held[0].Value.Uint64() - held[1].Value.Uint64()) >> 10)
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
		allocs := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
		allocated := func() uint64 {
			metrics.Read(allocs)
			if allocs[0].Value.Kind() != metrics.KindUint64 {
				return math.MaxUint64 // unknown to this runtime: collect every round
			}
			return allocs[0].Value.Uint64()
		}
		last := allocated()
		tick := c.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C():
			}
			if now := allocated(); now != math.MaxUint64 && now-last < MinGarbage {
				continue
			}
			report(Collect())
			last = allocated()
		}
	}()
}
