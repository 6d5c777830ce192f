package osm

import (
	"bytes"
	"context"
	"path/filepath"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/luoyun/osmanager/pkg/osmstate"
	"github.com/luoyun/osmanager/pkg/statusrun"
	"github.com/luoyun/osmanager/pkg/zlog"
)

// statusLoop runs custom/scripts/status now and every StatusInterval,
// publishing each result for the sessions to report.
func (a *Agent) statusLoop(ctx context.Context) {
	r := &statusrun.Runner{Path: filepath.Join(a.cfg.ScriptDir, "status"), Timeout: a.cfg.StatusTimeout}
	t := a.cfg.Clock.NewTicker(a.cfg.StatusInterval)
	defer t.Stop()
	var prev statusrun.Result
	first := true
	for {
		res := r.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		a.logStatus(prev, res, first)
		if first || prev.Status != res.Status || !bytes.Equal(prev.Output, res.Output) {
			a.update(func(s *osmstate.State) { s.SetStatus(res.Status, res.Output, time.Now()) })
		}
		prev, first = res, false
		a.setStatus(res.Status)
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

// logStatus logs what changed: a missing script once, a failing script
// (with its output) when its status or output changes, at debug otherwise.
func (a *Agent) logStatus(prev, res statusrun.Result, first bool) {
	switch {
	case res.Missing:
		if first || !prev.Missing {
			a.log.Warn("status script missing or not executable; reporting unknown", zlog.Int32("status", res.Status), zlog.Error(res.Err))
		}
		return
	case res.Err == nil && res.ExitCode == 0:
		if !first && prev.Status != res.Status {
			a.log.Info("status script succeeded", zlog.Int32("status", res.Status))
		}
		return
	}
	fields := []zapcore.Field{zlog.Int32("status", res.Status), zlog.Int("exit", res.ExitCode), zlog.ByteString("output", res.Output),
		zlog.Duration("took", res.Duration.Round(time.Millisecond))}
	if res.Truncated {
		fields = append(fields, zlog.Bool("output_truncated", true))
	}
	if res.Err != nil {
		fields = append(fields, zlog.Error(res.Err))
	}
	if first || prev.Status != res.Status || string(prev.Output) != string(res.Output) {
		a.log.Warn("status script failed", fields...)
	} else {
		a.log.Debug("status script failed", fields...)
	}
}
