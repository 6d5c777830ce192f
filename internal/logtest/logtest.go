// Package logtest gives tests the loggers of pkg/logging: one writing to
// the test's log (zaptest's core), or one whose entries the test reads
// (zap's observer core).
package logtest

import (
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/luoyun/osmanager/pkg/logging"
)

// New returns a Logger writing to t's log, at debug level unless an
// option (zaptest.Level) says otherwise.
func New(t zaptest.TestingT, opts ...zaptest.LoggerOption) *logging.Logger {
	return logging.FromCore(zaptest.NewLogger(t, opts...).Core())
}

// Observed returns a Logger that keeps its entries at lvl and above in
// logs and writes them to t's log as well.
func Observed(t zaptest.TestingT, lvl zapcore.Level) (*logging.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(lvl)
	return logging.FromCore(zapcore.NewTee(zaptest.NewLogger(t, zaptest.Level(lvl)).Core(), core)), logs
}
