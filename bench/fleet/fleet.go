package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/luoyun/osmanager/pkg/clcsim"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/osm"
	"github.com/luoyun/osmanager/pkg/settings"
)

// options are the bench's settings.
type options struct {
	n                int
	outage, min, max time.Duration
	timeout          time.Duration
}

// result holds what was measured; times are absolute.
type result struct {
	initial time.Duration       // start until all N registered the first time
	down    time.Time           // controller stopped
	back    time.Time           // controller listening again
	conns   []time.Time         // connections the new controller saw
	fails   []time.Time         // failed attempts between down and back
	reg     map[int32]time.Time // first registration of each TAG after back
}

// recorder keeps one controller's events.
type recorder struct {
	mu    sync.Mutex
	conns []time.Time
	reg   map[int32]time.Time
}

func (r *recorder) event(e clcsim.Event) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e.Kind {
	case clcsim.AuthOK, clcsim.AuthFailed:
		r.conns = append(r.conns, now)
	case clcsim.Registered:
		if _, ok := r.reg[e.Tag]; !ok {
			r.reg[e.Tag] = now
		}
	}
}

func (r *recorder) registered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reg)
}

// attempts is a log core that keeps the time of every failed attempt
// ("controller not reached; retrying": one line per attempt).
type attempts struct {
	mu    sync.Mutex
	times []time.Time
	errs  int
}

func (a *attempts) Enabled(l zapcore.Level) bool      { return l >= zapcore.WarnLevel }
func (a *attempts) With([]zapcore.Field) zapcore.Core { return a }
func (a *attempts) Sync() error                       { return nil }
func (a *attempts) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if a.Enabled(e.Level) {
		return ce.AddCore(e, a)
	}
	return ce
}
func (a *attempts) Write(e zapcore.Entry, _ []zapcore.Field) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case e.Message == "controller not reached; retrying":
		a.times = append(a.times, e.Time)
	case e.Level >= zapcore.ErrorLevel:
		a.errs++
	}
	return nil
}

func (a *attempts) between(from, to time.Time) []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []time.Time
	for _, t := range a.times {
		if !t.Before(from) && t.Before(to) {
			out = append(out, t)
		}
	}
	return out
}

// controller is a running simulator.
type controller struct {
	// listening is when the socket began to listen: taken before any
	// connection is served, so no registration can precede it.
	listening time.Time
	rec       *recorder
	srv       *clcsim.Server
	stop      context.CancelFunc
	done      chan struct{}
}

func startController(keys map[int32][]byte, addr string) (*controller, error) {
	rec := &recorder{reg: map[int32]time.Time{}}
	srv, err := clcsim.New(clcsim.Config{Keys: keys, Events: rec.event}, logging.Nop())
	if err != nil {
		return nil, err
	}
	if err := srv.Listen(addr); err != nil {
		return nil, err
	}
	listening := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	c := &controller{listening: listening, rec: rec, srv: srv, stop: cancel, done: make(chan struct{})}
	go func() { defer close(c.done); _ = srv.Serve(ctx) }()
	return c, nil
}

func (c *controller) close() { c.stop(); <-c.done }

// waitAll polls until the controller has seen n registrations.
func waitAll(ctx context.Context, c *controller, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for c.rec.registered() < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d agents registered within %s", c.rec.registered(), n, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

// fdsNeeded is about how many file descriptors n agents and their
// controller hold: one connection end each side, a few spare.
func fdsNeeded(n int) uint64 { return 2*uint64(n) + 100 }

// checkFDs refuses a fleet the descriptor limit cannot hold, with one
// clear line instead of "too many open files" in the middle of a run. Go
// has already raised the soft limit to the hard one.
func checkFDs(n int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil // cannot tell: let the run say
	}
	if need := fdsNeeded(n); lim.Cur < need {
		return fmt.Errorf("%d agents need about %d file descriptors; the limit is %d (raise it: ulimit -n %d)", n, need, lim.Cur, need)
	}
	return nil
}

// measure runs the scenario.
func measure(ctx context.Context, o options, stderr io.Writer) (*result, error) {
	if err := checkFDs(o.n); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "fleet-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	keys := make(map[int32][]byte, o.n)
	for i := 1; i <= o.n; i++ {
		keys[int32(i)] = fmt.Appendf(nil, "fleet-key-%07d", i)
	}
	c1, err := startController(keys, "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := c1.srv.LocalAddr().String()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}

	log := &attempts{}
	agents := make([]*osm.Agent, 0, o.n)
	for i := 1; i <= o.n; i++ {
		ad := filepath.Join(dir, fmt.Sprint(i))
		if err := os.MkdirAll(filepath.Join(ad, "scripts"), 0o755); err != nil {
			return nil, err
		}
		conf := filepath.Join(ad, "luoyun.conf")
		text := fmt.Sprintf("CLC_IP=%s\nCLC_PORT=%s\nTAG=%d\nKEY=%s\n", host, port, i, keys[int32(i)])
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			return nil, err
		}
		// No status script: each agent reports 2128 and forks nothing, so
		// the machine's time goes to the connections being measured.
		def := settings.Defaults().OSM
		a, err := osm.New(osm.Config{ConfPath: conf, ScriptDir: filepath.Join(ad, "scripts"),
			StatusInterval: def.StatusInterval.D(), StatusTimeout: def.StatusTimeout.D(),
			DiscoveryWindow: def.DiscoveryWindow.D(), ReconnectMin: o.min, ReconnectMax: o.max}, logging.FromCore(log))
		if err != nil {
			return nil, err
		}
		agents = append(agents, a)
	}
	actx, stopAgents := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stopAgents(); wg.Wait() }()
	start := time.Now()
	for _, a := range agents {
		wg.Add(1)
		go func() { defer wg.Done(); _ = a.Run(actx) }()
	}
	if err := waitAll(ctx, c1, o.n, o.timeout); err != nil {
		c1.close()
		return nil, fmt.Errorf("first registration: %w", err)
	}
	res := &result{initial: time.Since(start)}
	fmt.Fprintf(stderr, "fleet: all %d registered; stopping the controller for %s\n", o.n, o.outage)

	res.down = time.Now()
	c1.close()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(o.outage):
	}
	c2, err := startController(keys, addr)
	if err != nil {
		return nil, fmt.Errorf("restart the controller on %s: %w", addr, err)
	}
	defer c2.close()
	res.back = c2.listening
	if err := waitAll(ctx, c2, o.n, o.timeout); err != nil {
		return nil, fmt.Errorf("after the restart: %w", err)
	}
	c2.rec.mu.Lock()
	res.conns = append(res.conns, c2.rec.conns...)
	res.reg = c2.rec.reg
	c2.rec.mu.Unlock()
	res.fails = log.between(res.down, res.back)
	if log.errs > 0 {
		fmt.Fprintf(stderr, "fleet: %d error lines from the agents\n", log.errs)
	}
	return res, nil
}

// sinceBack returns each TAG's re-registration time after the controller
// was back.
func (r *result) sinceBack() []time.Duration {
	ds := make([]time.Duration, 0, len(r.reg))
	for _, t := range r.reg {
		ds = append(ds, t.Sub(r.back))
	}
	return ds
}

// print writes the figures, one "name: key=value ..." line each.
func (r *result) print(w io.Writer, o options) {
	n := float64(o.n)
	back := r.sinceBack()
	pc, pf := peak(r.conns, 100*time.Millisecond), peak(r.fails, 100*time.Millisecond)
	fmt.Fprintf(w, "fleet: agents=%d outage=%s reconnect_min=%s reconnect_max=%s\n", o.n, o.outage, o.min, o.max)
	fmt.Fprintf(w, "initial: all_registered_in=%s\n", ms(r.initial))
	fmt.Fprintf(w, "reregistered: count=%d median=%s max=%s max_since_outage_start=%s\n",
		len(back), ms(median(back)), ms(maxOf(back)), ms(maxOf(back)+r.back.Sub(r.down)))
	fmt.Fprintf(w, "connections: count=%d peak_100ms=%d peak_share=%.1f%%\n", len(r.conns), pc, 100*float64(pc)/n)
	fmt.Fprintf(w, "failed_attempts_during_outage: count=%d peak_100ms=%d peak_share=%.1f%%\n", len(r.fails), pf, 100*float64(pf)/n)
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }

// writeEvents writes the raw events, in nanoseconds since the outage
// began.
func (r *result) writeEvents(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	rel := func(t time.Time) int64 { return t.Sub(r.down).Nanoseconds() }
	fmt.Fprintf(w, "back %d\n", rel(r.back))
	for _, t := range r.conns {
		fmt.Fprintf(w, "conn %d\n", rel(t))
	}
	for _, t := range r.fails {
		fmt.Fprintf(w, "fail %d\n", rel(t))
	}
	for tag, t := range r.reg {
		fmt.Fprintf(w, "reg %d %d\n", tag, rel(t))
	}
	return errors.Join(w.Flush(), f.Close())
}
