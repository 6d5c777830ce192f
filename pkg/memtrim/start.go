package memtrim

import (
	"context"
	"time"

	"github.com/luoyun/osmanager/pkg/zlog"
)

// Start is what a daemon calls once it is ready. With on (settings
// memory.trim), Delay later it trims and logs at debug level
// what it gave back, or a warning saying why it could not (the daemon
// goes on either way); without, it logs at debug level, at the same
// moment, that the trim is off. It returns at once; ctx ending first
// cancels both.
func Start(ctx context.Context, on bool, log zlog.Logger) {
	startAfter(ctx, Delay, on, log)
}

func startAfter(ctx context.Context, delay time.Duration, on bool, log zlog.Logger) {
	if !on {
		later(ctx, delay, func() { log.Debug("memory trim off (settings memory.trim = false)") })
		return
	}
	After(ctx, delay, func(r Result, err error) {
		if err != nil {
			log.Warn("memory trim failed", zlog.Error(err))
			return
		}
		log.Debug("memory trimmed",
			zlog.Int("exe_kb_before", r.ExeBefore), zlog.Int("exe_kb_after", r.ExeAfter),
			zlog.Int("rss_kb_before", r.RssBefore), zlog.Int("rss_kb_after", r.RssAfter),
			zlog.Int("pss_kb_before", r.PssBefore), zlog.Int("pss_kb_after", r.PssAfter),
			zlog.Int("mappings", r.Mappings))
	})
}
