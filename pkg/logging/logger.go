package logging

import (
	"bytes"
	"io"
	"os"
	"time"

	"go.uber.org/zap/zapcore"
)

// Logger writes entries to a zapcore.Core: the part of package zap's
// Logger the OS manager uses (the four levels, With, Named, Check, Sync),
// without importing package zap. Package zap imports net/http (for
// AtomicLevel.ServeHTTP), and a linked package keeps its initialisers, so
// every command importing zap would carry net/http and crypto/tls
// (docs/integration.md, "Idle memory").
//
// Entries are built as zap builds them (logger name, time, level,
// message; no caller, no stack), so a Core encodes the same line through
// either. A Logger is safe for concurrent use; its methods return new
// Loggers and never change the receiver.
type Logger struct {
	core   zapcore.Core
	name   string
	errOut zapcore.WriteSyncer
}

// FromCore returns a Logger writing to core; a nil core logs nothing.
// Tests pass the Core of zaptest's or zap's observer loggers.
func FromCore(core zapcore.Core) *Logger {
	if core == nil {
		core = zapcore.NewNopCore()
	}
	// As zap.New: errors writing an entry are reported on stderr.
	return &Logger{core: core, errOut: zapcore.Lock(os.Stderr)}
}

// Nop returns a Logger that logs nothing.
func Nop() *Logger { return FromCore(nil) }

// Core returns the Core the Logger writes to.
func (l *Logger) Core() zapcore.Core { return l.core }

// With returns a Logger that adds fields to each entry.
func (l *Logger) With(fields ...zapcore.Field) *Logger {
	if len(fields) == 0 {
		return l
	}
	c := *l
	c.core = l.core.With(fields)
	return &c
}

// Named returns a Logger whose name is the receiver's joined to s with a
// dot, as zap's Logger.Named does; the encoder writes it after the level.
func (l *Logger) Named(s string) *Logger {
	if s == "" {
		return l
	}
	c := *l
	if l.name == "" {
		c.name = s
	} else {
		c.name = l.name + "." + s
	}
	return &c
}

// Check returns a CheckedEntry if an entry at lvl would be written, nil
// otherwise: the caller builds costly fields only for entries written.
// Levels above Error are written like Error: this Logger neither panics
// nor exits.
func (l *Logger) Check(lvl zapcore.Level, msg string) *zapcore.CheckedEntry {
	if !l.core.Enabled(lvl) {
		return nil
	}
	ce := l.core.Check(zapcore.Entry{LoggerName: l.name, Time: time.Now(), Level: lvl, Message: msg}, nil)
	if ce != nil {
		ce.ErrorOutput = l.errOut
	}
	return ce
}

// Debug logs msg and fields at debug level.
func (l *Logger) Debug(msg string, fields ...zapcore.Field) {
	l.log(zapcore.DebugLevel, msg, fields)
}

// Info logs msg and fields at info level.
func (l *Logger) Info(msg string, fields ...zapcore.Field) {
	l.log(zapcore.InfoLevel, msg, fields)
}

// Warn logs msg and fields at warning level.
func (l *Logger) Warn(msg string, fields ...zapcore.Field) {
	l.log(zapcore.WarnLevel, msg, fields)
}

// Error logs msg and fields at error level.
func (l *Logger) Error(msg string, fields ...zapcore.Field) {
	l.log(zapcore.ErrorLevel, msg, fields)
}

func (l *Logger) log(lvl zapcore.Level, msg string, fields []zapcore.Field) {
	if ce := l.Check(lvl, msg); ce != nil {
		ce.Write(fields...)
	}
}

// Sync flushes what the Core buffers.
func (l *Logger) Sync() error { return l.core.Sync() }

// InfoWriter returns a Writer that logs each Write, trimmed of white
// space, as one entry at info level: the writer zap.NewStdLog gives
// log.New, for an http.Server's ErrorLog (log.New(l.InfoWriter(), "", 0)).
// It leaves package log to the commands that have it anyway.
func (l *Logger) InfoWriter() io.Writer { return infoWriter{l} }

type infoWriter struct{ l *Logger }

func (w infoWriter) Write(p []byte) (int, error) {
	w.l.Info(string(bytes.TrimSpace(p)))
	return len(p), nil
}
