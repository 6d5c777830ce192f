package memtrim

import (
	"context"
	"time"

	"github.com/luoyun/osmanager/pkg/clock"
	"github.com/luoyun/osmanager/pkg/logging"
)

// Config is what a daemon's settings say about its memory.
type Config struct {
	// Every is settings memory.trim_interval: how often the daemon
	// collects its heap and returns the free pages; 0: never.
	Every time.Duration
	// TrimKey says the settings file sets memory.trim, which is
	// accepted and does nothing.
	TrimKey bool
	// Clock times the rounds; nil: the real clock.
	Clock clock.Clock
}

// TrimKeyNote is the line a daemon logs at start when its settings file
// sets memory.trim.
const TrimKeyNote = "settings memory.trim does nothing; memory.trim_interval alone switches the heap return"

// Start is what a daemon calls once it is ready: it logs TrimKeyNote at
// info level when c.TrimKey, then every c.Every collects the heap and
// returns its free pages (Every), each round logged at debug level. It
// returns at once; ctx ending stops the rounds.
func Start(ctx context.Context, c Config, log logging.Leveled) {
	if c.TrimKey {
		log.Info(TrimKeyNote)
	}
	Every(ctx, clock.Or(c.Clock), c.Every, func(r Result) {
		log.Debug("heap returned",
			logging.Int("kb_before", r.Before), logging.Int("kb_after", r.After),
			logging.Duration("took", r.Took),
			logging.Int("kb_objects", r.Classes.Objects), logging.Int("kb_unused", r.Classes.Unused),
			logging.Int("kb_free", r.Classes.Free), logging.Int("kb_stacks", r.Classes.Stacks),
			logging.Int("kb_meta", r.Classes.Meta), logging.Int("kb_other", r.Classes.Other),
			logging.Int("threads", r.Classes.Threads))
	})
}
