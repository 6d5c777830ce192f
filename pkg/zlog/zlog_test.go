package zlog

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// A *zap.Logger is a Logger: callers and tests pass theirs unchanged.
var _ Logger = (*zap.Logger)(nil)

// TestFieldsAreZaps checks each constructor builds the field zap's own
// constructor builds.
func TestFieldsAreZaps(t *testing.T) {
	err := errors.New("boom")
	for _, c := range []struct {
		name      string
		got, want zapcore.Field
	}{
		{"String", String("k", "v"), zap.String("k", "v")},
		{"Int64", Int64("k", -7), zap.Int64("k", -7)},
		{"Int", Int("k", 42), zap.Int("k", 42)},
		{"Stringer", Stringer("k", time.Second), zap.Stringer("k", time.Second)},
		{"Error", Error(err), zap.Error(err)},
		{"Error(nil)", Error(nil), zap.Error(nil)},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %+v, zap's %+v", c.name, c.got, c.want)
		}
	}
}

// TestLogsThroughZap checks a *zap.Logger passed as a Logger gets the
// entries with their fields, and that OrNop(nil) logs nothing.
func TestLogsThroughZap(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	var l Logger = zap.New(core)
	l.Debug("d", String("a", "b"))
	l.Info("i", Int("n", 3))
	l.Warn("w")
	l.Error("e", Error(errors.New("x")))
	if logs.Len() != 4 {
		t.Fatalf("%d entries, want 4", logs.Len())
	}
	if got := logs.All()[1].ContextMap()["n"]; got != int64(3) {
		t.Errorf("n = %v", got)
	}
	n := OrNop(nil)
	if _, ok := n.(Nop); !ok {
		t.Errorf("OrNop(nil) = %T", n)
	}
	n.Error("nothing") // no panic, nothing written
	if OrNop(l) != l {
		t.Error("OrNop(l) is not l")
	}
}
