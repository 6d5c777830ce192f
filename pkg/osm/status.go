package osm

import (
	"bytes"
	"context"
	"path/filepath"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/osmstate"
	"github.com/luoyun/osmanager/pkg/statusrun"
)

// FirstStatusGrace is the longest a failing first status script is run
// again (Config.StatusGrace); at most half of status_timeout.
const FirstStatusGrace = 10 * time.Second

// FirstStatusHold is the longest the first status script run waits for
// the first registration attempt to register or end: started together,
// the script (a shell and its probes) and the connection would compete
// for the CPU, and the registration comes first.
const FirstStatusHold = time.Second

// triedFirst ends the first status run's wait (FirstStatusHold).
func (a *Agent) triedFirst() { a.triedOnce.Do(func() { close(a.tried) }) }

// statusLoop runs custom/scripts/status once the first registration
// attempt registered or ended (at most FirstStatusHold), then every
// StatusInterval, publishing each result for the sessions to report. The
// first run has a
// grace (firstGrace): osm and the application start together, so a
// script that fails then is run again until it succeeds or the grace is
// over, and the first report is not a false alarm.
func (a *Agent) statusLoop(ctx context.Context) {
	r := &statusrun.Runner{Path: filepath.Join(a.cfg.ScriptDir, "status"), Timeout: a.cfg.StatusTimeout, Clock: a.cfg.Clock}
	hold := time.NewTimer(FirstStatusHold)
	select {
	case <-ctx.Done():
		hold.Stop()
		return
	case <-a.tried:
	case <-hold.C:
	}
	hold.Stop()
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
			a.log.Warn("status script missing or not executable; reporting unknown", logging.Int32("status", res.Status), logging.Error(res.Err))
		}
		return
	case res.Err == nil && res.ExitCode == 0:
		if !first && prev.Status != res.Status {
			a.log.Info("status script succeeded", logging.Int32("status", res.Status))
		}
		return
	}
	fields := []zapcore.Field{logging.Int32("status", res.Status), logging.Int("exit", res.ExitCode), logging.ByteString("output", res.Output),
		logging.Duration("took", res.Duration.Round(time.Millisecond))}
	if res.Runs > 1 {
		fields = append(fields, logging.Int("runs", res.Runs))
	}
	if res.Truncated {
		fields = append(fields, logging.Bool("output_truncated", true))
	}
	if res.Err != nil {
		fields = append(fields, logging.Error(res.Err))
	}
	if first || prev.Status != res.Status || string(prev.Output) != string(res.Output) {
		a.log.Warn("status script failed", fields...)
	} else {
		a.log.Debug("status script failed", fields...)
	}
}
