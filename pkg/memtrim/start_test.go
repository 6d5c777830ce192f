package memtrim

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/pkg/clock"
)

// TestStartTrimKey: a settings file that sets memory.trim gets one info
// line at start, and no other line; without the key, none.
func TestStartTrimKey(t *testing.T) {
	for _, key := range []bool{true, false} {
		core, logs := observer.New(zapcore.DebugLevel)
		Start(context.Background(), Config{TrimKey: key}, zap.New(core))
		var want []string
		if key {
			want = []string{TrimKeyNote}
		}
		var got []string
		for _, e := range logs.All() {
			if e.Level != zapcore.InfoLevel {
				t.Errorf("TrimKey %t: logged %s %q, want info", key, e.Level, e.Message)
			}
			got = append(got, e.Message)
		}
		if len(got) != len(want) || (len(want) > 0 && got[0] != want[0]) {
			t.Errorf("TrimKey %t: logged %q, want %q", key, got, want)
		}
	}
}

// TestStartLogsRounds: each round is logged at debug level with what it
// gave back, until the context ends.
func TestStartLogsRounds(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := clock.NewFake(time.Unix(0, 0))
	Start(ctx, Config{Every: 10 * time.Millisecond, Clock: f}, zap.New(core))
	poll.Until(t, poll.Timeout, "two rounds logged", func() bool {
		garbage(1 << 20)
		f.Advance(10 * time.Millisecond)
		return logs.Len() >= 2
	})
	cancel()
	all := logs.All()
	for _, e := range all[:2] {
		m := e.ContextMap()
		if e.Level != zapcore.DebugLevel || e.Message != "heap returned" || m["kb_before"] == nil || m["kb_after"] == nil || m["kb_meta"] == nil || m["threads"] == nil {
			t.Errorf("logged %s %q %v, want debug \"heap returned\" with kb_before, kb_after, kb_meta and threads", e.Level, e.Message, m)
		}
	}
}
