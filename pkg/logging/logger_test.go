package logging

import (
	"bytes"
	"errors"
	"log"
	"regexp"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// A *Logger is Leveled, as *zap.Logger is.
var _ Leveled = (*Logger)(nil)

// stamp matches the time at the start of each line, which differs
// between the two loggers' writes.
var stamp = regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} `)

// TestSameLinesAsZap writes the same entries through a *Logger and
// through a *zap.Logger on the same encoder and level, and checks the
// lines are the same bytes but for the time: names, With fields, every
// field constructor, the std-log writer and the level filter.
func TestSameLinesAsZap(t *testing.T) {
	var ours, theirs bytes.Buffer
	mk := func(b *bytes.Buffer) zapcore.Core {
		return zapcore.NewCore(NewEncoder(), zapcore.AddSync(b), zapcore.InfoLevel)
	}
	l := FromCore(mk(&ours))
	z := zap.New(mk(&theirs))
	err := errors.New("boom")

	l.Info("plain")
	z.Info("plain")
	l.Debug("hidden")
	z.Debug("hidden")
	lw := l.With(String("component", "osm")).Named("access").Named("x")
	zw := z.With(zap.String("component", "osm")).Named("access").Named("x")
	lw.Warn("fields",
		Int("int", -1), Int64("i64", 1<<40), Int32("i32", 7), Uint16("u16", 80),
		Bool("yes", true), Bool("no", false), Duration("took", 1500*time.Millisecond),
		ByteString("out", []byte("a\"b\n")), Strings("cmd", []string{"/bin/sh", "-l"}),
		Stringer("d", time.Second), Error(err), Error(nil))
	zw.Warn("fields",
		zap.Int("int", -1), zap.Int64("i64", 1<<40), zap.Int32("i32", 7), zap.Uint16("u16", 80),
		zap.Bool("yes", true), zap.Bool("no", false), zap.Duration("took", 1500*time.Millisecond),
		zap.ByteString("out", []byte("a\"b\n")), zap.Strings("cmd", []string{"/bin/sh", "-l"}),
		zap.Stringer("d", time.Second), zap.Error(err), zap.Error(nil))
	lw.Error("error")
	zw.Error("error")
	if ce := lw.Check(zapcore.InfoLevel, "checked"); ce != nil {
		ce.Write(Int("status", 200))
	}
	if ce := zw.Check(zapcore.InfoLevel, "checked"); ce != nil {
		ce.Write(zap.Int("status", 200))
	}
	if lw.Check(zapcore.DebugLevel, "x") != nil {
		t.Error("Check at debug level on an info logger returned an entry")
	}
	log.New(l.Named("http").InfoWriter(), "", 0).Printf("http: TLS handshake error from %s\n", "1.2.3.4:5")
	zap.NewStdLog(z.Named("http")).Printf("http: TLS handshake error from %s\n", "1.2.3.4:5")
	if err := l.Sync(); err != nil {
		t.Error(err)
	}

	got := stamp.ReplaceAllString(ours.String(), "")
	want := stamp.ReplaceAllString(theirs.String(), "")
	if got != want {
		t.Errorf("lines differ from zap's:\nours:\n%s\nzap's:\n%s", got, want)
	}
	if n := bytes.Count(ours.Bytes(), []byte("\n")); n != 5 {
		t.Errorf("%d lines, want 5:\n%s", n, ours.String())
	}
}

// TestFromObserver checks a Logger on zap's observer core delivers the
// entries with their name and fields (how the tests of the commands'
// packages look at what they log), and that Nop and FromCore(nil) log
// nothing without failing.
func TestFromObserver(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	l := FromCore(core).Named("clc").With(String("from", "x"))
	l.Debug("d", Int32("tag", 3))
	if logs.Len() != 1 {
		t.Fatalf("%d entries, want 1", logs.Len())
	}
	e := logs.All()[0]
	if e.LoggerName != "clc" || e.Level != zapcore.DebugLevel || e.Message != "d" {
		t.Errorf("entry = %+v", e.Entry)
	}
	if m := e.ContextMap(); m["from"] != "x" || m["tag"] != int32(3) {
		t.Errorf("fields = %v", m)
	}
	for _, n := range []*Logger{Nop(), FromCore(nil)} {
		n.Error("nothing", Int("n", 1))
		if n.Check(zapcore.ErrorLevel, "nothing") != nil {
			t.Error("a nop logger would write an entry")
		}
		if err := n.Sync(); err != nil {
			t.Error(err)
		}
	}
}
