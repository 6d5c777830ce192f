// Package zlog is the part of zap's logging API that the commands use
// without importing package zap: a Logger interface for the packages
// which take any logger (floppyconf, osc, termbridge), and the field
// constructors every command uses (pkg/logging builds the loggers).
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
	"time"

	"go.uber.org/zap/zapcore"
)

// Logger is satisfied by pkg/logging's *Logger and by *zap.Logger.
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

// Int32 is zap.Int32.
func Int32(key string, val int32) zapcore.Field {
	return zapcore.Field{Key: key, Type: zapcore.Int32Type, Integer: int64(val)}
}

// Uint16 is zap.Uint16.
func Uint16(key string, val uint16) zapcore.Field {
	return zapcore.Field{Key: key, Type: zapcore.Uint16Type, Integer: int64(val)}
}

// Bool is zap.Bool: the value is 1 or 0 in the field's Integer.
func Bool(key string, val bool) zapcore.Field {
	var ival int64
	if val {
		ival = 1
	}
	return zapcore.Field{Key: key, Type: zapcore.BoolType, Integer: ival}
}

// Duration is zap.Duration: the nanoseconds in the field's Integer, written
// by the encoder's EncodeDuration.
func Duration(key string, val time.Duration) zapcore.Field {
	return zapcore.Field{Key: key, Type: zapcore.DurationType, Integer: int64(val)}
}

// ByteString is zap.ByteString: UTF-8 bytes written as a string.
func ByteString(key string, val []byte) zapcore.Field {
	return zapcore.Field{Key: key, Type: zapcore.ByteStringType, Interface: val}
}

// Strings is zap.Strings: an array field whose marshaler appends each
// string, as zap's own (unexported) string array does.
func Strings(key string, ss []string) zapcore.Field {
	return zapcore.Field{Key: key, Type: zapcore.ArrayMarshalerType, Interface: stringArray(ss)}
}

type stringArray []string

func (ss stringArray) MarshalLogArray(arr zapcore.ArrayEncoder) error {
	for i := range ss {
		arr.AppendString(ss[i])
	}
	return nil
}
