package memtrim

import (
	"context"
	"runtime"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// waitLog waits for the first entry logged and returns it.
func waitLog(t *testing.T, logs *observer.ObservedLogs) observer.LoggedEntry {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if all := logs.All(); len(all) > 0 {
			return all[0]
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("nothing logged within 10 s")
	return observer.LoggedEntry{}
}

func TestStartLogsWhatItGaveBack(t *testing.T) {
	serveOne(t) // much of the binary mapped, as in a daemon after start-up
	core, logs := observer.New(zapcore.DebugLevel)
	startAfter(context.Background(), time.Millisecond, Schedule{On: true}, zap.New(core))
	e := waitLog(t, logs)
	m := e.ContextMap()
	if e.Level != zapcore.DebugLevel || e.Message != "memory trimmed" {
		t.Fatalf("logged %s %q %v, want debug \"memory trimmed\"", e.Level, e.Message, m)
	}
	before, after := m["exe_kb_before"].(int64), m["exe_kb_after"].(int64)
	if before == 0 || after > before/2 {
		t.Errorf("logged exe_kb_before %d, exe_kb_after %d: want most given back", before, after)
	}
}

func TestStartOff(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	startAfter(context.Background(), time.Millisecond, Schedule{Every: time.Millisecond}, zap.New(core))
	if e := waitLog(t, logs); e.Message != "memory trim off (settings memory.trim = false)" {
		t.Errorf("logged %q, want that the trim is off", e.Message)
	}
	time.Sleep(50 * time.Millisecond) // fifty intervals: nothing more may come
	if n := logs.Len(); n != 1 {
		t.Errorf("trim off: %d lines logged, want the one", n)
	}
}

// garbage allocates about 1 MB that is dropped at once.
func garbage() {
	var keep [][]byte
	for range 16 {
		keep = append(keep, make([]byte, 64<<10))
	}
	runtime.KeepAlive(keep)
}

// TestStartCollectsAgain: after the first trim, a daemon whose heap
// allocates collects it and trims again every interval, each logged at
// debug level, until its context ends.
func TestStartCollectsAgain(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startAfter(ctx, time.Millisecond, Schedule{On: true, Every: 20 * time.Millisecond}, zap.New(core))
	deadline := time.Now().Add(10 * time.Second)
	for logs.Len() < 3 && time.Now().Before(deadline) {
		garbage() // what the daemon's work leaves, 1 MB each 5 ms
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	all := logs.All()
	if len(all) < 3 {
		t.Fatalf("%d lines within 10 s, want 3 trims", len(all))
	}
	for i, e := range all[:3] {
		m := e.ContextMap()
		if e.Message != "memory trimmed" || m["heap_collected"] != (i > 0) {
			t.Errorf("line %d: %q heap_collected=%v, want \"memory trimmed\" heap_collected=%t", i+1, e.Message, m["heap_collected"], i > 0)
		}
	}
	n := logs.Len()
	for range 20 { // five intervals after the end, with garbage
		garbage()
		time.Sleep(5 * time.Millisecond)
	}
	if logs.Len() > n+1 { // one may have been under way
		t.Errorf("%d trims after the context ended, want none", logs.Len()-n)
	}
}

// TestStartSkipsIdleRounds: a daemon that allocates (nearly) nothing
// skips the rounds after the first trim (MinGarbage).
func TestStartSkipsIdleRounds(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startAfter(ctx, time.Millisecond, Schedule{On: true, Every: 5 * time.Millisecond}, zap.New(core))
	waitLog(t, logs)
	time.Sleep(100 * time.Millisecond) // twenty rounds
	if n := logs.Len(); n != 1 {
		t.Errorf("%d trims without garbage, want only the first", n)
	}
	garbage()
	deadline := time.Now().Add(10 * time.Second)
	for logs.Len() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := logs.Len(); n != 2 {
		t.Errorf("%d trims after 1 MB of garbage, want a second one", n)
	}
}
