package logging

import (
	"fmt"
	"time"

	"go.uber.org/zap/zapcore"
)

// Leveled is the logger the packages which take any logger accept
// (floppyconf, osc, termbridge, memtrim): a *Logger satisfies it, and so
// does a *zap.Logger, so callers and tests that have one pass it.
type Leveled interface {
	Debug(msg string, fields ...zapcore.Field)
	Info(msg string, fields ...zapcore.Field)
	Warn(msg string, fields ...zapcore.Field)
	Error(msg string, fields ...zapcore.Field)
}

// OrNop returns l, or a Logger that logs nothing when l is nil.
func OrNop(l Leveled) Leveled {
	if l == nil {
		return Nop()
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
