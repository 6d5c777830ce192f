// Package osm is the registrar: it finds the LuoYun Cloud Controller
// (CLC_IP/CLC_PORT from luoyun.conf, else multicast join datagrams),
// authenticates both ways with the shared KEY, registers the instance,
// reports the application status from custom/scripts/status, answers
// queries and echoes, and reconnects on pkg/backoff's schedule (a
// session resets it only after it stayed up for ReconnectMax).
// Its state goes to a file for operators (never the KEY).
package osm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/luoyun/osmanager/pkg/backoff"
	"github.com/luoyun/osmanager/pkg/clcproto"
	"github.com/luoyun/osmanager/pkg/clock"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/osmstate"
)

// Config is the registrar's configuration.
type Config struct {
	// ConfPath is luoyun.conf.
	ConfPath string
	// ScriptDir holds the status script ("status").
	ScriptDir string
	// StateFile is written on every change of state; "" writes none.
	StateFile string
	// StatusInterval is how often the status script runs.
	StatusInterval time.Duration
	// StatusTimeout kills a status script that runs longer.
	StatusTimeout time.Duration
	// StatusGrace is how long a failing first run of the status script is
	// run again (the application may still be starting): FirstStatusGrace
	// when zero, none when negative, at most half of StatusTimeout.
	StatusGrace time.Duration
	// ReconnectMin and ReconnectMax bound the back-off between attempts
	// (pkg/backoff); a session that stays registered for ReconnectMax
	// resets it, a shorter one counts as a strike.
	ReconnectMin, ReconnectMax time.Duration
	// DialTimeout bounds one TCP connect (5 s when zero).
	DialTimeout time.Duration
	// HandshakeTimeout bounds authentication and registration (10 s).
	HandshakeTimeout time.Duration
	// DiscoveryWindow is how long one attempt listens for a multicast
	// join (15 s: the controller sends one about every 10 s).
	DiscoveryWindow time.Duration
	// WriteTimeout bounds each write to the controller (10 s).
	WriteTimeout time.Duration

	// Clock times the status script, the back-off and a session's health;
	// the system clock when nil.
	Clock clock.Clock
	// Sleep waits between attempts; a sleep on Clock when nil.
	Sleep backoff.Sleeper
	// Rand is the back-off's jitter source; math/rand when nil.
	Rand func(n int64) int64
	// Challenge makes the OSM's challenge; a random UUID when nil.
	Challenge func() (clcproto.Block, error)
	// Ready, when set, is called once luoyun.conf has been loaded, before
	// the first attempt: the registrar is up (osmanager.sh start waits
	// for it).
	Ready func()
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	// The settings' tunables (StatusInterval, StatusTimeout, Reconnect*,
	// DiscoveryWindow) are not defaulted here: settings.Defaults holds
	// them, and New refuses a config without them.
	def(&c.DialTimeout, 5*time.Second)
	def(&c.HandshakeTimeout, 10*time.Second)
	def(&c.WriteTimeout, 10*time.Second)
	c.Clock = clock.Or(c.Clock)
	if c.Sleep == nil {
		clk := c.Clock
		c.Sleep = func(ctx context.Context, d time.Duration) error { return clock.Sleep(ctx, clk, d) }
	}
	if c.Challenge == nil {
		c.Challenge = func() (clcproto.Block, error) { return clcproto.NewChallenge(nil) }
	}
}

// Agent is the registrar.
type Agent struct {
	cfg    Config
	log    *logging.Logger
	reload chan struct{}

	lastJoin string // controller address from the last join datagram

	tried     chan struct{} // closed once the first attempt registered or ended
	triedOnce sync.Once

	mu       sync.Mutex
	status   int32         // latest status script result; 0 before the first
	statusCh chan struct{} // closed when status changes
	last     int32         // last status reported to a controller
	state    osmstate.State
	stateErr string
	wmu      sync.Mutex // held while the state file is changed and written

	rmu       sync.Mutex
	cur       target
	pending   *target
	cancelCur context.CancelFunc
}

// New checks cfg and returns an agent.
func New(cfg Config, log *logging.Logger) (*Agent, error) {
	cfg.defaults()
	if cfg.ConfPath == "" || cfg.ScriptDir == "" {
		return nil, errors.New("osm: config path and script directory are required")
	}
	if cfg.StatusInterval <= 0 || cfg.StatusTimeout <= 0 || cfg.ReconnectMin <= 0 || cfg.ReconnectMax <= 0 || cfg.DiscoveryWindow <= 0 {
		return nil, errors.New("osm: the [osm] settings are required (settings.Defaults holds them)")
	}
	if cfg.ReconnectMax < cfg.ReconnectMin {
		return nil, fmt.Errorf("osm: reconnect_max %s below reconnect_min %s", cfg.ReconnectMax, cfg.ReconnectMin)
	}
	return &Agent{
		cfg:      cfg,
		log:      log.With(logging.String("component", "osm")),
		reload:   make(chan struct{}, 1),
		statusCh: make(chan struct{}),
		tried:    make(chan struct{}),
		state:    osmstate.State{PID: os.Getpid()},
	}, nil
}

// Reload asks the agent to re-read luoyun.conf (SIGHUP); it reconnects
// when the controller address, multicast group, TAG or KEY changed.
func (a *Agent) Reload() {
	select {
	case a.reload <- struct{}{}:
	default:
	}
}

// Run registers and reports until ctx is done; it returns ctx.Err() then,
// or an error at once when luoyun.conf is unusable at start.
func (a *Agent) Run(ctx context.Context) error {
	t, err := loadTarget(a.cfg.ConfPath)
	if err != nil {
		a.log.Error("cannot start", logging.Error(err))
		// The state file of an earlier run must not go on saying
		// "registered". The reason is in the log only: it may quote
		// luoyun.conf.
		a.update(func(s *osmstate.State) {
			s.Phase, s.Since, s.Controller, s.LocalIP = osmstate.Stopped, a.cfg.Clock.Now(), "", ""
			s.LastError = "cannot start: luoyun.conf is unusable (luoyun.log says why)"
		})
		return fmt.Errorf("osm: %w", err)
	}
	a.cur = t
	a.mu.Lock()
	a.state.Tag = int(t.tag)
	a.mu.Unlock()
	if a.cfg.Ready != nil {
		a.cfg.Ready()
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Add(2)
	go func() { defer wg.Done(); a.statusLoop(ctx) }()
	go func() { defer wg.Done(); a.watchReload(ctx) }()

	bo := &backoff.Backoff{Min: a.cfg.ReconnectMin, Max: a.cfg.ReconnectMax, Rand: a.cfg.Rand}
	for {
		a.rmu.Lock()
		if a.pending != nil {
			a.cur, a.pending = *a.pending, nil
			a.lastJoin = ""
			bo.Reset()
		}
		t := a.cur
		actx, acancel := context.WithCancel(ctx)
		a.cancelCur = acancel
		a.rmu.Unlock()

		out := a.attempt(actx, t)
		if ctx.Err() != nil {
			acancel()
			a.setPhase(osmstate.Stopped, "")
			a.log.Info("stopped")
			return ctx.Err()
		}
		if actx.Err() != nil { // configuration changed
			acancel()
			a.triedFirst()
			a.log.Info("configuration changed; reconnecting")
			continue
		}
		now := a.cfg.Clock.Now()
		if out.registered {
			// Only a session that stayed up for reconnect_max resets the
			// back-off: a controller that registers and then fails is a
			// strike, not a fresh start (a flapping controller would
			// otherwise get a connection a second).
			if lasted := now.Sub(out.at); lasted >= a.cfg.ReconnectMax {
				bo.Reset()
			} else {
				bo.Hold(lasted)
			}
		}
		d := bo.Next(now, out.reached)
		err := out.err
		a.backingOff(err)
		a.triedFirst()
		lvl, msg := a.log.Warn, "controller not reached; retrying"
		if out.registered {
			msg = "controller connection lost; reconnecting"
		}
		if errors.Is(err, clcproto.ErrImpostor) {
			lvl = a.log.Error
		}
		lvl(msg, logging.Error(err), logging.Duration("retry_in", d.Round(time.Millisecond)), logging.Int("attempt", bo.Attempts()))
		a.pause(actx, t, d)
		acancel()
	}
}

// pause waits d before the next attempt. When the controller may be found
// by multicast, it keeps listening for joins meanwhile: a controller that
// comes back ends the wait at once instead of up to reconnect_max later.
func (a *Agent) pause(ctx context.Context, t target, d time.Duration) {
	if t.mcast == nil {
		_ = a.cfg.Sleep(ctx, d)
		return
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	joined := make(chan string, 1)
	go func() {
		defer close(joined)
		// An error (no multicast route, the wait is over) only means no
		// early wake-up: the attempt after the wait reports problems.
		if addr, err := discover(pctx, t.mcast, d, a.log); err == nil {
			joined <- addr
			cancel()
		}
	}()
	_ = a.cfg.Sleep(pctx, d)
	cancel()
	if addr, ok := <-joined; ok {
		a.log.Debug("controller join while waiting; retrying now", logging.String("controller", addr))
		a.lastJoin = addr
	}
}

// outcome is how far one attempt got.
type outcome struct {
	reached    bool      // a TCP connection to a controller was made
	registered bool      // the controller accepted the registration
	at         time.Time // when it did
	err        error     // why the attempt or the session ended
}

// attempt connects, authenticates, registers and serves one connection.
func (a *Agent) attempt(ctx context.Context, t target) outcome {
	c, err := a.connect(ctx, t)
	if err != nil {
		return outcome{err: err}
	}
	out := outcome{reached: true}
	out.err = a.session(ctx, c, t, &out)
	return out
}

// watchReload re-reads luoyun.conf on each Reload.
func (a *Agent) watchReload(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.reload:
		}
		t, err := loadTarget(a.cfg.ConfPath)
		if err != nil {
			a.log.Error("reload failed; keeping the current configuration", logging.Error(err))
			continue
		}
		a.rmu.Lock()
		base := a.cur
		if a.pending != nil {
			base = *a.pending
		}
		if t.same(base) {
			a.log.Info("configuration reloaded; controller settings unchanged")
		} else {
			a.pending = &t
			a.mu.Lock()
			a.state.Tag = int(t.tag)
			a.mu.Unlock()
			if a.cancelCur != nil {
				a.cancelCur()
			}
		}
		a.rmu.Unlock()
	}
}

// setStatus publishes a status script result.
func (a *Agent) setStatus(s int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s != a.status {
		a.status = s
		close(a.statusCh)
		a.statusCh = make(chan struct{})
	}
}

// currentStatus returns the latest status and a channel closed when it
// changes.
func (a *Agent) currentStatus() (int32, <-chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status, a.statusCh
}

func (a *Agent) lastReport() int32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}
