package logging

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// A *zap.Logger is Leveled: callers and tests pass theirs unchanged.
var _ Leveled = (*zap.Logger)(nil)

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
		{"Int32", Int32("k", -3), zap.Int32("k", -3)},
		{"Uint16", Uint16("k", 65535), zap.Uint16("k", 65535)},
		{"Bool(true)", Bool("k", true), zap.Bool("k", true)},
		{"Bool(false)", Bool("k", false), zap.Bool("k", false)},
		{"Duration", Duration("k", 1500*time.Millisecond), zap.Duration("k", 1500*time.Millisecond)},
		{"ByteString", ByteString("k", []byte("a\n")), zap.ByteString("k", []byte("a\n"))},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %+v, zap's %+v", c.name, c.got, c.want)
		}
	}
}

// TestStringsIsZaps checks Strings is encoded as zap.Strings: zap's
// array type is unexported, so the fields compare by what an encoder
// writes, and by their Key and Type.
func TestStringsIsZaps(t *testing.T) {
	for _, ss := range [][]string{nil, {}, {"/bin/sh"}, {"a b", "\"q\"", "ü\n"}} {
		got, want := Strings("cmd", ss), zap.Strings("cmd", ss)
		if got.Key != want.Key || got.Type != want.Type {
			t.Errorf("Strings(%q) = %+v, zap's %+v", ss, got, want)
		}
		enc := func(f zapcore.Field) string {
			e := zapcore.NewMapObjectEncoder()
			f.AddTo(e)
			return fmt.Sprint(e.Fields)
		}
		if g, w := enc(got), enc(want); g != w {
			t.Errorf("Strings(%q) encodes as %s, zap's as %s", ss, g, w)
		}
	}
}

// TestLogsThroughZap checks a *zap.Logger passed as Leveled gets the
// entries with their fields, and that OrNop(nil) logs nothing.
func TestLogsThroughZap(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	var l Leveled = zap.New(core)
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
	if _, ok := n.(*Logger); !ok {
		t.Errorf("OrNop(nil) = %T", n)
	}
	n.Error("nothing") // no panic, nothing written
	if OrNop(l) != l {
		t.Error("OrNop(l) is not l")
	}
}
