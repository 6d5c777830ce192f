// Package zlog is the part of zap's logging API that the commands which
// serve no HTTP (floppyconf, osc) use, without importing package zap.
//
// Package zap imports net/http (for AtomicLevel.ServeHTTP), and a linked
// package keeps its initialisers: net/http's and crypto/tls's, with the
// ciphers and self-tests they reach, about 1.9 MB of every binary that
// imports zap even when it never logs (docs/integration.md, "Idle
// memory"). A *zap.Logger satisfies Logger, so callers and tests that
// have one pass it; the fields are zapcore's, built here as package zap
// builds them.
package zlog

import (
	"fmt"

	"go.uber.org/zap/zapcore"
)

// Logger is satisfied by *zap.Logger.
type Logger interface {
	Debug(msg string, fields ...zapcore.Field)
	Info(msg string, fields ...zapcore.Field)
	Warn(msg string, fields ...zapcore.Field)
	Error(msg string, fields ...zapcore.Field)
}

// Nop is a Logger that logs nothing.
type Nop struct{}

// Debug logs nothing.
func (Nop) Debug(string, ...zapcore.Field) {}

// Info logs nothing.
func (Nop) Info(string, ...zapcore.Field) {}

// Warn logs nothing.
func (Nop) Warn(string, ...zapcore.Field) {}

// Error logs nothing.
func (Nop) Error(string, ...zapcore.Field) {}

// OrNop returns l, or Nop when l is nil.
func OrNop(l Logger) Logger {
	if l == nil {
		return Nop{}
	}
	return l
}

// String is zap.String.
func String(key, val string) zapcore.Field {
	return zapcore.Field{Key: key, Type: zapcore.StringType, String: val}
}

// Int64 is zap.Int64.
func Int64(key string, val int64) zapcore.Field {
	return zapcore.Field{Key: key, Type: zapcore.Int64Type, Integer: val}
}

// Int is zap.Int.
func Int(key string, val int) zapcore.Field { return Int64(key, int64(val)) }

// Stringer is zap.Stringer.
func Stringer(key string, val fmt.Stringer) zapcore.Field {
	return zapcore.Field{Key: key, Type: zapcore.StringerType, Interface: val}
}

// Error is zap.Error: the field "error", or no field for a nil error.
func Error(err error) zapcore.Field {
	if err == nil {
		return zapcore.Field{Type: zapcore.SkipType}
	}
	return zapcore.Field{Key: "error", Type: zapcore.ErrorType, Interface: err}
}
