package osm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/logtest"
	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/pkg/clcproto"
	"github.com/luoyun/osmanager/pkg/clcsim"
	"github.com/luoyun/osmanager/pkg/clock"
	"github.com/luoyun/osmanager/pkg/osmstate"
)

func TestNormalRun(t *testing.T) {
	s := startSim(t, "127.0.0.1:0", clcsim.Config{Tag: testTag, QueryEvery: 50 * time.Millisecond, EchoEvery: 50 * time.Millisecond})
	e := newEnv(t, s.addr())
	e.start(t)

	reg := s.ev.wait(t, clcsim.Registered, nil)
	regAt := time.Now()
	if reg.Tag != testTag || reg.IP != "127.0.0.1" {
		t.Errorf("registered %+v, want tag 42 ip 127.0.0.1", reg)
	}
	rep := s.ev.wait(t, clcsim.ReportEvent, nil)
	if rep.Status != 2000 {
		t.Errorf("first report = %d, want 2000", rep.Status)
	}
	if d := time.Since(regAt); d > time.Second {
		t.Errorf("first report %v after registration, want within 1s", d)
	}
	q := s.ev.wait(t, clcsim.QueryEvent, nil)
	if want := " 42 5 127.0.0.1"; !strings.HasSuffix(q.Reply, want) || !strings.HasPrefix(q.Reply, strconv.FormatInt(int64(q.Job), 10)+" ") {
		t.Errorf("query reply %q, want \"<job>%s\"", q.Reply, want)
	}
	if ev := s.ev.wait(t, clcsim.EchoEvent, nil); !ev.OK {
		t.Error("echo reply did not carry the request's data")
	}

	// The status script starts failing with 3: reported within one interval.
	writeScript(t, e.scripts, "exit 3")
	changed := time.Now()
	rep = s.ev.wait(t, clcsim.ReportEvent, func(ev clcsim.Event) bool { return ev.Status != 2000 })
	if rep.Status != 2003 {
		t.Errorf("report after exit 3 = %d, want 2003", rep.Status)
	}
	// One interval, plus the script's own run time and scheduling slack.
	if d := time.Since(changed); d > e.cfg.StatusInterval+time.Second {
		t.Errorf("change reported after %v, want within one interval (%v)", d, e.cfg.StatusInterval)
	}
	q = s.ev.wait(t, clcsim.QueryEvent, nil)
	q = s.ev.wait(t, clcsim.QueryEvent, nil) // a query sent after the 2003 report
	if !strings.Contains(q.Reply, " 42 4 ") {
		t.Errorf("query reply after 2003 = %q, want status 4 (running)", q.Reply)
	}

	st, err := osmstate.Read(e.state)
	if err != nil {
		t.Fatal(err)
	}
	if st.Phase != osmstate.Registered || st.Controller != s.addr() || st.Tag != testTag || st.LastReport != 2003 || st.LocalIP != "127.0.0.1" {
		t.Errorf("state file = %+v", st)
	}
	e.stop(t)
	if st, _ := osmstate.Read(e.state); st.Phase != osmstate.Stopped {
		t.Errorf("state after stop = %q, want stopped", st.Phase)
	}
	data, _ := os.ReadFile(e.state)
	if strings.Contains(string(data), testKey) || strings.Contains(string(data), testKey[:8]) {
		t.Errorf("state file contains the KEY:\n%s", data)
	}
	for _, l := range e.logs.All() {
		if strings.Contains(l.Message, testKey) || strings.Contains(fmt.Sprint(l.ContextMap()), testKey) {
			t.Errorf("log line contains the KEY: %s %v", l.Message, l.ContextMap())
		}
	}
}

func TestRegisterRefusedBacksOff(t *testing.T) {
	s := startSim(t, "127.0.0.1:0", clcsim.Config{Reply: clcproto.RegisterFailed})
	e := newEnv(t, s.addr())
	e.cfg.Rand = func(n int64) int64 { return n - 1 } // top of each jitter range
	e.start(t)
	for i := 0; i < 3; i++ {
		s.ev.wait(t, clcsim.RegisterRefused, nil)
	}
	e.sl.waitCount(t, 3)
	d := e.sl.list()
	if !(d[0] < d[1] && d[1] < d[2]) {
		t.Errorf("back-offs %v do not grow after refusals", d[:3])
	}
	if !e.running() {
		t.Fatal("agent stopped after a refusal")
	}
	if st, _ := osmstate.Read(e.state); !strings.Contains(st.LastError, "refused") {
		t.Errorf("state last_error = %q, want the refusal", st.LastError)
	}
}

func TestControllerDownThenUp(t *testing.T) {
	addr := freeAddr(t)
	e := newEnv(t, addr)
	e.start(t)
	e.sl.waitCount(t, 2)
	if n := countLogs(e.logs, "controller not reached; retrying"); n < 2 {
		t.Errorf("%d failure lines for %d attempts", n, len(e.sl.list()))
	}
	s := startSim(t, addr, clcsim.Config{})
	s.ev.wait(t, clcsim.Registered, nil)
	s.ev.wait(t, clcsim.ReportEvent, nil)
}

func TestControllerKilledMidSession(t *testing.T) {
	s := startSim(t, "127.0.0.1:0", clcsim.Config{})
	addr := s.addr()
	e := newEnv(t, addr)
	e.start(t)
	s.ev.wait(t, clcsim.ReportEvent, nil)
	s.stop()
	e.sl.waitCount(t, 1)
	if n := countLogs(e.logs, "controller connection lost; reconnecting"); n != 1 {
		t.Errorf("%d 'connection lost' lines, want 1", n)
	}
	s2 := startSim(t, addr, clcsim.Config{})
	s2.ev.wait(t, clcsim.Registered, nil)
	if r := s2.ev.wait(t, clcsim.ReportEvent, nil); r.Status != 2000 {
		t.Errorf("report after re-registration = %d, want 2000", r.Status)
	}
}

func TestStatusScripts(t *testing.T) {
	tests := []struct {
		name    string
		body    string // "" removes the script
		want    int32
		timeout time.Duration
	}{
		{"missing", "", 2128, 0},
		{"hangs", "sleep 300 &\nwait", 2128, 300 * time.Millisecond},
		{"floods and fails", "head -c 2000000 /dev/zero\nexit 1", 2001, 0},
		{"exit 5", "exit 5", 2005, 0},
		// As the original: 2000 + code for 0..255; 2129 (stopped) and
		// 2130 (failed) are defined codes a script may use.
		{"exit 129", "exit 129", 2129, 0},
		{"exit 130", "exit 130", 2130, 0},
		{"exit 255", "exit 255", 2255, 0},
		{"killed by a signal", "kill -9 $$", 2128, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSim(t, "127.0.0.1:0", clcsim.Config{})
			e := newEnv(t, s.addr())
			if tt.body == "" {
				os.Remove(e.scripts + "/status")
			} else {
				writeScript(t, e.scripts, tt.body)
			}
			if tt.timeout > 0 {
				e.cfg.StatusTimeout = tt.timeout
			}
			e.start(t)
			if r := s.ev.wait(t, clcsim.ReportEvent, nil); r.Status != tt.want {
				t.Errorf("report = %d, want %d", r.Status, tt.want)
			}
			switch tt.name {
			case "missing":
				// Several intervals later, still one line about it.
				waitFor(t, "three intervals", func() bool { return time.Since(e.logs.All()[0].Time) > 4*e.cfg.StatusInterval })
				if n := countLogs(e.logs, "status script missing or not executable; reporting unknown"); n != 1 {
					t.Errorf("missing script logged %d times, want once", n)
				}
			case "floods and fails":
				l := e.logs.FilterMessage("status script failed").All()
				if len(l) == 0 {
					t.Fatal("failing script not logged")
				}
				out, _ := l[0].ContextMap()["output"].(string)
				if len(out) > 64<<10 || len(out) < 1000 {
					t.Errorf("logged %d bytes of output, want a bounded excerpt (<= 64 KiB)", len(out))
				}
			}
		})
	}
}

func TestReload(t *testing.T) {
	a := startSim(t, "127.0.0.1:0", clcsim.Config{})
	b := startSim(t, "127.0.0.1:0", clcsim.Config{Key: []byte(wrongKey)})
	e := newEnv(t, a.addr())
	e.start(t)
	a.ev.wait(t, clcsim.Registered, nil)

	// Unchanged controller settings: no reconnection.
	e.agent.Reload()
	waitFor(t, "reload logged", func() bool {
		return countLogs(e.logs, "configuration reloaded; controller settings unchanged") == 1
	})
	select {
	case ev := <-a.ev.ch:
		if ev.Kind == clcsim.Disconnected {
			t.Fatal("unchanged reload reconnected")
		}
	default:
	}

	// Another controller, with another KEY.
	writeConf(t, e.conf, b.addr(), "", 43, wrongKey)
	e.agent.Reload()
	a.ev.wait(t, clcsim.Disconnected, nil)
	if r := b.ev.wait(t, clcsim.Registered, nil); r.Tag != 43 {
		t.Errorf("registered tag %d after reload, want 43", r.Tag)
	}
	if n := len(e.sl.list()); n != 0 {
		t.Errorf("%d back-offs around a reload, want 0", n)
	}

	// A broken file: logged, the session goes on.
	os.WriteFile(e.conf, []byte("TAG=43\nKEY=abc\nCLC_IP=127.0.0.1\n"), 0o600)
	e.agent.Reload()
	waitFor(t, "reload failure logged", func() bool {
		return countLogs(e.logs, "reload failed; keeping the current configuration") == 1
	})
	select {
	case ev := <-b.ev.ch:
		if ev.Kind == clcsim.Disconnected {
			t.Fatal("failed reload dropped the session")
		}
	case <-time.After(100 * time.Millisecond):
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"empty key", "CLC_IP=127.0.0.1\nCLC_PORT=1\nTAG=1\nKEY=\n", "KEY must be 5 to 256 bytes"},
		{"short key", "CLC_IP=127.0.0.1\nCLC_PORT=1\nTAG=1\nKEY=abcd\n", "KEY must be 5 to 256 bytes"},
		{"no tag", "CLC_IP=127.0.0.1\nCLC_PORT=1\nKEY=abcdefgh\n", "TAG is missing"},
		{"no controller", "TAG=1\nKEY=abcdefgh\n", "no controller"},
		{"bad group", "TAG=1\nKEY=abcdefgh\nCLC_MCAST_IP=10.0.0.1\nCLC_MCAST_PORT=1369\n", "not an IPv4 multicast group"},
		{"missing file", "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "")
			if tt.text == "" {
				os.Remove(e.conf)
			} else {
				os.WriteFile(e.conf, []byte(tt.text), 0o600)
			}
			a, err := New(e.cfg, logtest.New(t))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = a.Run(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run = %v, want error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "abcdefgh") || strings.Contains(err.Error(), "abcd\n") {
				t.Errorf("error shows the KEY: %v", err)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Config{ConfPath: "x", ScriptDir: "y", ReconnectMin: time.Minute, ReconnectMax: time.Second}, logtest.New(t)); err == nil {
		t.Error("New accepted reconnect_max < reconnect_min")
	}
	if _, err := New(Config{}, logtest.New(t)); err == nil {
		t.Error("New accepted an empty config")
	}
}

// TestStatusScriptLeavesNothing: a status script that starts a background
// child every run ("sleep 600 &") does not pile up processes: each run's
// child is gone once the run is over.
func TestStatusScriptLeavesNothing(t *testing.T) {
	s := startSim(t, "127.0.0.1:0", clcsim.Config{})
	e := newEnv(t, s.addr())
	pids := e.dir + "/children"
	writeScript(t, e.scripts, "sleep 600 &\necho $! >> "+pids+"\nexit 0")
	e.start(t)
	s.ev.wait(t, clcsim.ReportEvent, nil)
	var list []int
	waitFor(t, "five runs", func() bool {
		b, _ := os.ReadFile(pids)
		list = list[:0]
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				list = append(list, pid)
			}
		}
		return len(list) >= 5
	})
	e.stop(t)
	for _, pid := range list {
		if !poll.Wait(poll.Timeout, func() bool { return !processAlive(pid) }) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("background child %d of a status run is still running", pid)
		}
	}
}

// processAlive reports whether pid runs (a zombie does not).
func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// TestFlappingControllerBacksOff: a controller that accepts every
// registration and then drops the connection or sends garbage gets at
// most 8 connections in 30 s with the default settings. The settings and
// the window are scaled down 20 times (reconnect_min 50 ms, reconnect_max
// 3 s, 1.5 s): the policy depends on their ratios only, and a real
// connection costs about a millisecond, 2 % of the smallest delay. With a
// back-off reset on each registration it was one connection per
// reconnect_min (about 30).
func TestFlappingControllerBacksOff(t *testing.T) {
	const scale = 20
	for _, mode := range []string{clcsim.FlapDrop, clcsim.FlapGarbage} {
		t.Run(mode, func(t *testing.T) {
			s := startSim(t, "127.0.0.1:0", clcsim.Config{Flap: mode})
			e := newEnv(t, s.addr())
			e.cfg.ReconnectMin, e.cfg.ReconnectMax = time.Second/scale, time.Minute/scale
			e.cfg.Sleep = nil // real waits: the count is over real time
			e.start(t)
			s.ev.wait(t, clcsim.AuthOK, nil)
			start := time.Now()
			window := 30 * time.Second / scale
			n := 1
			timer := time.NewTimer(window)
			defer timer.Stop()
		count:
			for {
				select {
				case ev := <-s.ev.ch:
					if ev.Kind == clcsim.AuthOK {
						n++
					}
				case <-timer.C:
					break count
				}
			}
			t.Logf("%s: %d connections in %v (30 s at full scale)", mode, n, time.Since(start).Round(time.Millisecond))
			if n > 8 {
				t.Errorf("%d connections in 30 s (scaled), want <= 8", n)
			}
			if n < 3 {
				t.Errorf("only %d connections: the agent stopped retrying a flapping controller", n)
			}
			if l := countLogs(e.logs, "controller connection lost; reconnecting"); l < n-1 {
				t.Errorf("%d 'connection lost' lines for %d connections", l, n)
			}
		})
	}
}

// TestStatusIntervalOnTheClock: the status script runs at start and then
// once per StatusInterval of the injected clock, not of the wall clock.
func TestStatusIntervalOnTheClock(t *testing.T) {
	s := startSim(t, "127.0.0.1:0", clcsim.Config{})
	e := newEnv(t, s.addr())
	runs := e.dir + "/runs"
	writeScript(t, e.scripts, "echo run >> "+runs)
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	e.cfg.Clock = clk
	e.cfg.StatusInterval = time.Hour
	e.start(t)
	count := func() int {
		b, _ := os.ReadFile(runs)
		return strings.Count(string(b), "run\n")
	}
	s.ev.wait(t, clcsim.ReportEvent, nil)
	waitFor(t, "the status ticker", func() bool { return clk.Waiters() == 1 })
	if n := count(); n != 1 {
		t.Fatalf("%d runs before the clock moved, want 1", n)
	}
	for want := 2; want <= 3; want++ {
		clk.Advance(time.Hour)
		waitFor(t, fmt.Sprintf("run %d", want), func() bool { return count() == want })
	}
}

// TestFirstReportGrace: the first report of an application that is still
// starting is not a false alarm: a status script that fails its first
// runs (the page not listening yet) is run again, and the first report is
// 2000. One that fails for good is reported once the grace is over,
// within StatusTimeout, with how many runs it took in the log.
func TestFirstReportGrace(t *testing.T) {
	t.Run("starting", func(t *testing.T) {
		s := startSim(t, "127.0.0.1:0", clcsim.Config{})
		e := newEnv(t, s.addr())
		runs := e.dir + "/runs"
		writeScript(t, e.scripts, `echo run >>`+runs+`; [ "$(wc -l <`+runs+`)" -ge 3 ]`)
		e.cfg.StatusTimeout = time.Minute
		e.start(t)
		if r := s.ev.wait(t, clcsim.ReportEvent, nil); r.Status != 2000 {
			t.Errorf("first report = %d, want 2000 (the script succeeds on its third run)", r.Status)
		}
	})
	t.Run("down", func(t *testing.T) {
		s := startSim(t, "127.0.0.1:0", clcsim.Config{})
		e := newEnv(t, s.addr())
		writeScript(t, e.scripts, "echo no answer; exit 1")
		e.cfg.StatusTimeout = 4 * time.Second
		start := time.Now()
		e.start(t)
		if r := s.ev.wait(t, clcsim.ReportEvent, nil); r.Status != 2001 {
			t.Errorf("first report = %d, want 2001", r.Status)
		}
		// Within the timeout; a second on top for a loaded machine.
		if took := time.Since(start); took > e.cfg.StatusTimeout+time.Second {
			t.Errorf("first report %v after start, want within the %v timeout", took, e.cfg.StatusTimeout)
		}
		l := e.logs.FilterMessage("status script failed").All()
		if len(l) == 0 || l[0].ContextMap()["runs"] == nil {
			t.Errorf("the failing first status is logged without its runs: %v", l)
		}
	})
}

// TestFirstStatusAfterRegistration: the first status script run begins
// once the first attempt has registered (the state file then says so),
// not beside the connection; without a controller it begins once the
// attempt has failed.
func TestFirstStatusAfterRegistration(t *testing.T) {
	for _, up := range []bool{true, false} {
		addr := freeAddr(t)
		if up {
			addr = startSim(t, "127.0.0.1:0", clcsim.Config{}).addr()
		}
		e := newEnv(t, addr)
		seen := filepath.Join(e.dir, "seen")
		writeScript(t, e.scripts, `[ -e `+seen+` ] || { cp `+e.state+` `+seen+`.tmp && mv `+seen+`.tmp `+seen+`; }; exit 0`)
		e.start(t)
		waitFor(t, "the first status run", func() bool { _, err := os.Stat(seen); return err == nil })
		st, err := osmstate.Read(seen)
		if err != nil {
			t.Fatal(err)
		}
		if up && st.Phase != osmstate.Registered {
			t.Errorf("at the first status run the phase was %q, want %q", st.Phase, osmstate.Registered)
		}
		// Without a controller the first attempt has failed by then: the
		// agent backs off, or (a busy machine, retries every few ms in
		// this test) is already on its next attempt, the error kept.
		if !up && (st.LastError == "" || (st.Phase != osmstate.BackingOff && st.Phase != osmstate.Connecting)) {
			t.Errorf("without a controller, at the first status run the phase was %q (last error %q), want %q after a failed attempt", st.Phase, st.LastError, osmstate.BackingOff)
		}
		e.stop(t)
	}
}
