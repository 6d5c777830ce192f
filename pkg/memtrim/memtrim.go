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
