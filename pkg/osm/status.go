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

// FirstStatusGrace is the longest a failing first status script is run
// again (Config.StatusGrace); at most half of status_timeout.
const FirstStatusGrace = 10 * time.Second

// statusLoop runs custom/scripts/status now and every StatusInterval,
// publishing each result for the sessions to report. The first run has a
// grace (firstGrace): osm and the application start together, so a
// script that fails then is run again until it succeeds or the grace is
// over, and the first report is not a false alarm.
func (a *Agent) statusLoop(ctx context.Context) {
	r := &statusrun.Runner{Path: filepath.Join(a.cfg.ScriptDir, "status"), Timeout: a.cfg.StatusTimeout, Clock: a.cfg.Clock}
	t := a.cfg.Clock.NewTicker(a.cfg.StatusInterval)
	defer t.Stop()
	var prev statusrun.Result
	first := true
	for {
		var res statusrun.Result
		if first {
			res = r.RunGrace(ctx, a.firstGrace())
		} else {
			res = r.Run(ctx)
		}
		if ctx.Err() != nil {
			return
		}
		a.logStatus(prev, res, first)
		if first || prev.Status != res.Status || !bytes.Equal(prev.Output, res.Output) {
			a.update(func(s *osmstate.State) { s.SetStatus(res.Status, res.Output, a.cfg.Clock.Now()) })
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

// firstGrace is how long a failing first run is run again: StatusGrace,
// or FirstStatusGrace when zero, and at most half of StatusTimeout, so
// that a retry begun at the end of the grace still has half the timeout to
// run and the first report comes within StatusTimeout.
func (a *Agent) firstGrace() time.Duration {
	g := a.cfg.StatusGrace
	if g == 0 {
		g = FirstStatusGrace
	}
	return min(g, a.cfg.StatusTimeout/2)
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
	if res.Runs > 1 {
		fields = append(fields, zlog.Int("runs", res.Runs))
	}
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
