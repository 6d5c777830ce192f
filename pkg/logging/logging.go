// Package logging builds the loggers of the OS manager's components: a
// rotating file in the original's line shape ("2026-11-21 10:00:00,123
// [INFO] message key=value"), or stdout at debug level for --debug. The
// loggers are zapcore's encoder and write syncers behind a Logger of this
// package, without package zap (which imports net/http). The package also
// holds the field constructors every command uses (String, Int, Error…,
// built as zap builds them) and Leveled, the interface of the packages
// which take any logger, *zap.Logger included.
package logging

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap/zapcore"
	"gopkg.in/natefinch/lumberjack.v2"
)

// Options says where and how a component logs.
type Options struct {
	// File is the log file; rotated at MaxSizeMB, keeping MaxBackups.
	File string
	// MaxSizeMB and MaxBackups come from the settings' [log] section.
	MaxSizeMB  int
	MaxBackups int
	// Debug logs to Stdout at debug level instead of the file.
	Debug bool
	// Stdout is where Debug logs go; os.Stdout when nil.
	Stdout io.Writer
	// FlushEvery, when positive, buffers the file's lines (up to 64 KiB)
	// and writes them at least this often, instead of one write per line:
	// for a busy access log. The close function flushes what is left.
	FlushEvery time.Duration
}

// New returns a logger and a function that flushes and closes it.
func New(o Options) (*Logger, func(), error) {
	var ws zapcore.WriteSyncer
	level := zapcore.InfoLevel
	closeFn := func() {}
	if o.Debug {
		out := o.Stdout
		if out == nil {
			out = os.Stdout
		}
		ws = zapcore.AddSync(out)
		level = zapcore.DebugLevel
	} else {
		if o.File == "" {
			return nil, nil, fmt.Errorf("logging: no log file given")
		}
		if err := os.MkdirAll(filepath.Dir(o.File), 0o755); err != nil {
			return nil, nil, fmt.Errorf("cannot create the log file %s: %w", o.File, pathless(err))
		}
		// Open once now so that a bad path is an error at start, not a
		// silent loss of every line later.
		f, err := os.OpenFile(o.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot open the log file %s: %w", o.File, pathless(err))
		}
		f.Close()
		lj := &lumberjack.Logger{
			Filename:   o.File,
			MaxSize:    max(o.MaxSizeMB, 1),
			MaxBackups: o.MaxBackups,
		}
		ws = zapcore.AddSync(lj)
		closeFn = func() { _ = lj.Close() }
		if o.FlushEvery > 0 {
			bws := &zapcore.BufferedWriteSyncer{WS: ws, Size: 64 << 10, FlushInterval: o.FlushEvery}
			ws = bws
			closeFn = func() { _ = bws.Stop(); _ = lj.Close() }
		}
	}
	core := zapcore.NewCore(NewEncoder(), ws, level)
	log := FromCore(core)
	return log, func() { _ = log.Sync(); closeFn() }, nil
}

// NewEncoder returns the encoder of the original's line shape: local time
// with milliseconds after a comma, the level in brackets, the message, then
// the fields as key=value.
func NewEncoder() zapcore.Encoder {
	return zapcore.NewConsoleEncoder(zapcore.EncoderConfig{
		TimeKey:          "time",
		LevelKey:         "level",
		NameKey:          "logger",
		MessageKey:       "msg",
		StacktraceKey:    "",
		LineEnding:       zapcore.DefaultLineEnding,
		EncodeTime:       encodeTime,
		EncodeLevel:      encodeLevel,
		EncodeDuration:   zapcore.StringDurationEncoder,
		EncodeName:       zapcore.FullNameEncoder,
		ConsoleSeparator: " ",
	})
}

func encodeTime(t time.Time, enc zapcore.PrimitiveArrayEncoder) {
	enc.AppendString(t.Format("2006-01-02 15:04:05,000"))
}

func encodeLevel(l zapcore.Level, enc zapcore.PrimitiveArrayEncoder) {
	name := l.CapitalString()
	if l == zapcore.WarnLevel {
		name = "WARNING"
	}
	enc.AppendString("[" + name + "]")
}

// pathless drops the operation and path of a *fs.PathError ("mkdir
// /proc/x: no such file or directory" becomes "no such file or
// directory"): the message names the file once.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
