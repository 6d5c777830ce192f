package osmcmd

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/logtest"
	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/internal/testbin"
	"github.com/luoyun/osmanager/pkg/clcsim"
)

const (
	testKey  = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	waitLong = 15 * time.Second
)

// osmBin returns the osm binary (internal/testbin).
func osmBin(t *testing.T) string { return testbin.Path(t, "osm") }

// instance is a temporary /LuoYun-like tree for the agent.
type instance struct {
	dir, conf, scripts, state, settings string
}

// keyFile writes testKey to a file only its owner reads, for `osm clc -c`.
func keyFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "key.conf")
	if err := os.WriteFile(p, []byte("KEY="+testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func newInstance(t *testing.T, clcAddr, mcast, settings string) *instance {
	t.Helper()
	dir := t.TempDir()
	in := &instance{dir: dir, conf: filepath.Join(dir, "luoyun.conf"), scripts: filepath.Join(dir, "scripts"),
		state: filepath.Join(dir, "osm.json"), settings: filepath.Join(dir, "osmanager.toml")}
	os.Mkdir(in.scripts, 0o755)
	if err := os.WriteFile(filepath.Join(in.scripts, "status"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	in.writeConf(t, clcAddr, mcast, 42)
	if settings == "" {
		settings = "[osm]\nstatus_interval = \"200ms\"\nreconnect_min = \"100ms\"\nreconnect_max = \"500ms\"\n"
	}
	if err := os.WriteFile(in.settings, []byte(settings), 0o644); err != nil {
		t.Fatal(err)
	}
	return in
}

func (in *instance) writeConf(t *testing.T, clcAddr, mcast string, tag int) {
	t.Helper()
	var b strings.Builder
	host, port := "", ""
	if clcAddr != "" {
		host, port, _ = net.SplitHostPort(clcAddr)
	}
	fmt.Fprintf(&b, "CLC_IP=%s\nCLC_PORT=%s\n", host, port)
	if mcast != "" {
		g, p, _ := net.SplitHostPort(mcast)
		fmt.Fprintf(&b, "CLC_MCAST_IP=%s\nCLC_MCAST_PORT=%s\n", g, p)
	}
	fmt.Fprintf(&b, "TAG=%d\nKEY=%s\nJSON={}\n", tag, testKey)
	tmp := in.conf + ".tmp"
	os.WriteFile(tmp, []byte(b.String()), 0o600)
	if err := os.Rename(tmp, in.conf); err != nil {
		t.Fatal(err)
	}
}

func (in *instance) args() []string {
	return []string{"-c", in.conf, "-s", in.scripts, "--state", in.state, "--settings", in.settings, "--debug"}
}

// proc is a started binary whose stdout lines are collected.
type proc struct {
	cmd   *exec.Cmd
	lines chan string
	mu    sync.Mutex
	all   []string
	done  chan struct{}
	err   error
}

func startProc(t *testing.T, prefix []string, bin string, args ...string) *proc {
	t.Helper()
	argv := append(append(prefix[:len(prefix):len(prefix)], bin), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &testWriter{t: t, prefix: filepath.Base(bin) + " stderr: "}
	p := &proc{cmd: cmd, lines: make(chan string, 10000), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.all = append(p.all, sc.Text())
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// waitLine returns the first new line matching re.
func (p *proc) waitLine(t *testing.T, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	timer := time.NewTimer(waitLong)
	defer timer.Stop()
	for {
		select {
		case l := <-p.lines:
			if m := rx.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-timer.C:
			t.Fatalf("no line matching %q within %s; output so far:\n%s", re, waitLong, strings.Join(p.output(), "\n"))
		}
	}
}

func (p *proc) output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.all...)
}

// stop sends sig and returns the exit code and how long the exit took.
func (p *proc) stop(t *testing.T, sig syscall.Signal) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatalf("no exit within 5s of %v", sig)
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(start)
}

type testWriter struct {
	t      *testing.T
	prefix string
}

func (w *testWriter) Write(b []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		w.t.Log(w.prefix + l)
	}
	return len(b), nil
}

// startSim runs an in-process simulator and returns its event channel.
func startSim(t *testing.T, addr string) (*clcsim.Server, chan clcsim.Event) {
	t.Helper()
	ch := make(chan clcsim.Event, 1000)
	s, err := clcsim.New(clcsim.Config{Key: []byte(testKey), Events: func(e clcsim.Event) {
		select {
		case ch <- e:
		default:
		}
	}}, logtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(addr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, ch
}

func waitEvent(t *testing.T, ch chan clcsim.Event, kind string) clcsim.Event {
	t.Helper()
	timer := time.NewTimer(waitLong)
	defer timer.Stop()
	for {
		select {
		case e := <-ch:
			if e.Kind == kind {
				return e
			}
		case <-timer.C:
			t.Fatalf("no %s event within %s", kind, waitLong)
		}
	}
}

// waitCond polls cond until it holds, failing the test after waitLong.
func waitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, waitLong, what, cond)
}
