package osm

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/luoyun/osmanager/internal/logtest"
	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/pkg/backoff"
	"github.com/luoyun/osmanager/pkg/clcsim"
)

const (
	testKey   = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	wrongKey  = "00000000-1111-2222-3333-444444444444"
	testTag   = 42
	eventWait = 10 * time.Second
)

// writeConf writes a luoyun.conf pointing at addr ("" for none).
func writeConf(t *testing.T, path, addr, mcast string, tag int, key string) {
	t.Helper()
	var b strings.Builder
	if addr != "" {
		host, port, _ := net.SplitHostPort(addr)
		fmt.Fprintf(&b, "CLC_IP=%s\nCLC_PORT=%s\n", host, port)
	} else {
		b.WriteString("CLC_IP=\nCLC_PORT=\n")
	}
	if mcast != "" {
		host, port, _ := net.SplitHostPort(mcast)
		fmt.Fprintf(&b, "CLC_MCAST_IP=%s\nCLC_MCAST_PORT=%s\n", host, port)
	}
	fmt.Fprintf(&b, "TAG=%d\nKEY=%s\nJSON={}\n", tag, key)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// writeScript installs dir/status atomically (a running script is never
// rewritten in place).
func writeScript(t *testing.T, dir, body string) {
	t.Helper()
	tmp := filepath.Join(dir, ".status.tmp")
	if err := os.WriteFile(tmp, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "status")); err != nil {
		t.Fatal(err)
	}
}

// events records a simulator's events.
type events struct {
	ch chan clcsim.Event
}

func newEvents() *events { return &events{ch: make(chan clcsim.Event, 4096)} }

func (e *events) record(ev clcsim.Event) { e.ch <- ev }

// wait returns the first event (from now on) of the kind that matches.
func (e *events) wait(t *testing.T, kind string, match func(clcsim.Event) bool) clcsim.Event {
	t.Helper()
	timer := time.NewTimer(eventWait)
	defer timer.Stop()
	for {
		select {
		case ev := <-e.ch:
			if ev.Kind == kind && (match == nil || match(ev)) {
				return ev
			}
		case <-timer.C:
			t.Fatalf("no %q event within %s", kind, eventWait)
		}
	}
}

// sim is a running simulator.
type sim struct {
	srv  *clcsim.Server
	ev   *events
	stop func()
}

func startSim(t *testing.T, addr string, cfg clcsim.Config) *sim {
	t.Helper()
	ev := newEvents()
	cfg.Events = ev.record
	if cfg.Key == nil {
		cfg.Key = []byte(testKey)
	}
	srv, err := clcsim.New(cfg, logtest.New(t).Named("clc"))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(addr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ctx) }()
	s := &sim{srv: srv, ev: ev}
	var once sync.Once
	s.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(s.stop)
	ev.wait(t, clcsim.Listening, nil)
	return s
}

func (s *sim) addr() string { return s.srv.LocalAddr().String() }

// sleeps records the agent's back-off delays and waits briefly instead.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return backoff.Sleep(ctx, min(d, 20*time.Millisecond))
}

func (s *sleeps) list() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func (s *sleeps) waitCount(t *testing.T, n int) {
	t.Helper()
	if !poll.Wait(eventWait, func() bool { return len(s.list()) >= n }) {
		t.Fatalf("only %d back-offs, want %d", len(s.list()), n)
	}
}

// env is one agent under test.
type env struct {
	dir, conf, scripts, state string
	cfg                       Config
	sl                        *sleeps
	logs                      *observer.ObservedLogs
	agent                     *Agent
	cancel                    func()
	done                      chan error
}

func newEnv(t *testing.T, addr string) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{dir: dir, conf: filepath.Join(dir, "luoyun.conf"), scripts: filepath.Join(dir, "scripts"),
		state: filepath.Join(dir, "osm.json"), sl: &sleeps{}}
	if err := os.Mkdir(e.scripts, 0o755); err != nil {
		t.Fatal(err)
	}
	writeConf(t, e.conf, addr, "", testTag, testKey)
	writeScript(t, e.scripts, "exit 0")
	e.cfg = Config{
		ConfPath: e.conf, ScriptDir: e.scripts, StateFile: e.state,
		StatusInterval: 100 * time.Millisecond, StatusTimeout: 2 * time.Second,
		ReconnectMin: 50 * time.Millisecond, ReconnectMax: 400 * time.Millisecond,
		DialTimeout: time.Second, HandshakeTimeout: 500 * time.Millisecond,
		DiscoveryWindow: 100 * time.Millisecond, WriteTimeout: time.Second,
		Sleep: e.sl.sleep,
	}
	return e
}

func (e *env) start(t *testing.T) {
	t.Helper()
	log, logs := logtest.Observed(t, zapcore.DebugLevel)
	e.logs = logs
	a, err := New(e.cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	e.agent = a
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.done = make(chan error, 1)
	go func() { e.done <- a.Run(ctx) }()
	t.Cleanup(func() { e.stop(t) })
}

// stop cancels the agent and checks that it returns promptly.
func (e *env) stop(t *testing.T) {
	t.Helper()
	if e.cancel == nil {
		return
	}
	e.cancel()
	e.cancel = nil
	select {
	case err := <-e.done:
		if err != context.Canceled {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Error("agent did not stop within 2s of cancel")
	}
}

// running reports whether Run has not returned.
func (e *env) running() bool {
	select {
	case err := <-e.done:
		e.done <- err
		return false
	default:
		return true
	}
}

// freeAddr returns a loopback address nobody listens on (for now).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	ln.Close()
	return a
}

func countLogs(logs *observer.ObservedLogs, msg string) int {
	return logs.FilterMessage(msg).Len()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, eventWait, what, cond)
}
