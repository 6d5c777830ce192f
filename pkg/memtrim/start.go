package memtrim

import (
	"context"
	"time"

	"github.com/luoyun/osmanager/pkg/zlog"
)

// Schedule is when a daemon trims: settings memory.trim and
// memory.trim_interval.
type Schedule struct {
	// On trims at all; false only logs, once, that the trim is off.
	On bool
	// Every is how often the daemon collects and trims again after the
	// first trim (Collect); 0: only the first trim.
	Every time.Duration
}

// Start is what a daemon calls once it is ready. With s.On, Delay later
// it trims, then collects and trims every s.Every, and logs at debug
// level what each gave back, or a warning saying why it could not (the
// daemon goes on either way, without trimming again); without, it logs at
// debug level, at the same moment, that the trim is off. It returns at
// once; ctx ending cancels what is still to come.
func Start(ctx context.Context, s Schedule, log zlog.Logger) {
	startAfter(ctx, Delay, s, log)
}

func startAfter(ctx context.Context, delay time.Duration, s Schedule, log zlog.Logger) {
	if !s.On {
		go func() {
			if sleep(ctx, delay) {
				log.Debug("memory trim off (settings memory.trim = false)")
			}
		}()
		return
	}
	After(ctx, delay, s.Every, func(r Result, err error) {
		if err != nil {
			log.Warn("memory trim failed; not tried again", zlog.Error(err))
			return
		}
		log.Debug("memory trimmed",
			zlog.Bool("heap_collected", r.Collected),
			zlog.Int("exe_kb_before", r.ExeBefore), zlog.Int("exe_kb_after", r.ExeAfter),
			zlog.Int("rss_kb_before", r.RssBefore), zlog.Int("rss_kb_after", r.RssAfter),
			zlog.Int("pss_kb_before", r.PssBefore), zlog.Int("pss_kb_after", r.PssAfter),
			zlog.Int("anon_kb_before", r.AnonBefore), zlog.Int("anon_kb_after", r.AnonAfter),
			zlog.Int("mappings", r.Mappings), zlog.Duration("took", r.Took))
	})
}
