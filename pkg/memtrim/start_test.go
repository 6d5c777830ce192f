package memtrim

import (
	"context"
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
	core, logs := observer.New(zapcore.DebugLevel)
	startAfter(context.Background(), time.Millisecond, true, zap.New(core))
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
	startAfter(context.Background(), time.Millisecond, false, zap.New(core))
	if e := waitLog(t, logs); e.Message != "memory trim off (settings memory.trim = false)" {
		t.Errorf("logged %q, want that the trim is off", e.Message)
	}
}
