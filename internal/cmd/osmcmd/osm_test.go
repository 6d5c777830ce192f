package osmcmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/pkg/clcsim"
	"github.com/luoyun/osmanager/pkg/cli"
	"github.com/luoyun/osmanager/pkg/osmstate"
)

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"help", []string{"--help"}, 0, "Usage: osm", ""},
		{"help lists --state", []string{"-h"}, 0, "--state", ""},
		{"version", []string{"--version"}, 0, "osm ", ""},
		{"clc help", []string{"clc", "--help"}, 0, `query tag=42 job=7 reply="7 42 5 10.0.2.15"`, ""},
		{"bad option", []string{"--bogus"}, 2, "", "unknown flag"},
		{"stray argument", []string{"extra"}, 2, "", "unexpected argument"},
		{"clc without key", []string{"clc", "--listen", "127.0.0.1:0"}, 2, "", "KEY is needed"},
		{"clc bad reply", []string{"clc", "-c", keyFile(t), "--reply", "7"}, 2, "", "1021 or 1022"},
		{"clc short key", []string{"clc", "--insecure-key-arg", "abc", "--listen", "127.0.0.1:0"}, 1, "", "KEY must be 5 to 256 bytes"},
		// The KEY on the command line is in the process list: refused
		// unless asked for by the flag named for the risk.
		{"clc key on the command line", []string{"clc", "--key", testKey, "--listen", "127.0.0.1:0"}, 2, "", "process list: put KEY=... in a file"},
		{"clc help names --insecure-key-arg", []string{"clc", "--help"}, 0, "--insecure-key-arg", ""},
		{"missing config", []string{"-c", "/nonexistent/luoyun.conf", "--debug", "--settings", os.DevNull}, 1, "", "no such file"},
		{"clc bad flap", []string{"clc", "-c", keyFile(t), "--flap", "sometimes"}, 2, "", "--flap must be drop or garbage"},
		{"clc keys and key", []string{"clc", "-c", keyFile(t), "--keys", os.DevNull}, 2, "", "--keys alone"},
		{"clc empty keys", []string{"clc", "--keys", os.DevNull, "--listen", "127.0.0.1:0"}, 1, "", "no instance listed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := run(ctx, tt.args, &out, &errb)
			code := cli.ExitCode("osm", err, &errb)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (err %v)", code, tt.wantCode, err)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("stdout %q, want it to contain %q", out.String(), tt.wantOut)
			}
			if !strings.Contains(errb.String(), tt.wantErr) {
				t.Errorf("stderr %q, want it to contain %q", errb.String(), tt.wantErr)
			}
		})
	}
}

func TestSignals(t *testing.T) {
	tests := []struct {
		name       string
		sig        syscall.Signal
		controller bool
		script     string // status script body; "exit 0" when empty
		mcastOnly  bool   // no CLC_IP: the agent listens for joins
	}{
		{name: "SIGTERM while registered", sig: syscall.SIGTERM, controller: true},
		{name: "SIGINT while registered", sig: syscall.SIGINT, controller: true},
		{name: "SIGTERM while backing off", sig: syscall.SIGTERM},
		{name: "SIGTERM while the status script hangs", sig: syscall.SIGTERM, controller: true, script: "sleep 300 &\necho $! > \"$(dirname \"$0\")/child.pid\"\nwait"},
		{name: "SIGTERM while discovering", sig: syscall.SIGTERM, mcastOnly: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := "127.0.0.1:1" // nothing listens on port 1
			var ch chan clcsim.Event
			if tt.controller {
				var s *clcsim.Server
				s, ch = startSim(t, "127.0.0.1:0")
				addr = s.LocalAddr().String()
			}
			in := newInstance(t, addr, "", "")
			if tt.mcastOnly {
				in.writeConf(t, "", "228.0.0.1:1369", 42)
			}
			if tt.script != "" {
				os.WriteFile(in.scripts+"/status", []byte("#!/bin/sh\n"+tt.script+"\n"), 0o755)
			}
			p := startProc(t, nil, osmBin(t), in.args()...)
			switch {
			case tt.script != "":
				waitEvent(t, ch, clcsim.Registered)
				// The script runs (its child is started); exit must not wait for it.
				waitCond(t, "the status script's child", func() bool {
					b, err := os.ReadFile(in.scripts + "/child.pid")
					return err == nil && strings.HasSuffix(string(b), "\n")
				})
			case tt.controller:
				waitEvent(t, ch, clcsim.ReportEvent)
			case tt.mcastOnly:
				p.waitLine(t, `starting`)
				waitCond(t, "the discovery window (or its back-off)", func() bool {
					st, err := osmstate.Read(in.state)
					return err == nil && (st.Phase == osmstate.Discovering || st.Phase == osmstate.BackingOff)
				})
			default:
				p.waitLine(t, `controller not reached; retrying`)
			}
			code, took := p.stop(t, tt.sig)
			if code != 0 {
				t.Errorf("exit code %d after %v, want 0", code, tt.sig)
			}
			if took > time.Second {
				t.Errorf("exit took %v, want within 1s", took)
			}
			if tt.controller {
				waitEvent(t, ch, clcsim.Disconnected)
			}
			if tt.script != "" {
				b, err := os.ReadFile(in.scripts + "/child.pid")
				if err != nil {
					t.Fatalf("status script did not start: %v", err)
				}
				pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
				if !poll.Wait(poll.Timeout, func() bool { return !alive(pid) }) {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Fatalf("the status script's child %d outlived osm", pid)
				}
			}
			st, err := osmstate.Read(in.state)
			if err != nil || st.Phase != osmstate.Stopped {
				t.Errorf("state after exit = %+v, %v; want stopped", st, err)
			}
		})
	}
}

func TestSIGHUPReload(t *testing.T) {
	a, cha := startSim(t, "127.0.0.1:0")
	b, chb := startSim(t, "127.0.0.1:0")
	in := newInstance(t, a.LocalAddr().String(), "", "")
	p := startProc(t, nil, osmBin(t), in.args()...)
	waitEvent(t, cha, clcsim.Registered)
	in.writeConf(t, b.LocalAddr().String(), "", 43)
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitEvent(t, cha, clcsim.Disconnected)
	if e := waitEvent(t, chb, clcsim.Registered); e.Tag != 43 {
		t.Errorf("registered with tag %d after SIGHUP, want 43", e.Tag)
	}
	if code, _ := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// TestSimulatorLines runs both sides as binaries, as other components'
// tests and appliance builders do, and checks every line shape.
func TestSimulatorLines(t *testing.T) {
	bin := osmBin(t)
	sim := startProc(t, nil, bin, "clc", "--listen", "127.0.0.1:0", "-c", keyFile(t), "--tag", "42",
		"--query-every", "100ms", "--echo-every", "100ms")
	addr := sim.waitLine(t, `^listening addr=(127\.0\.0\.1:\d+)$`)[1]
	in := newInstance(t, addr, "", "")
	started := time.Now()
	agent := startProc(t, nil, bin, in.args()...)
	sim.waitLine(t, `^auth ok tag=42 from=127\.0\.0\.1:\d+$`)
	sim.waitLine(t, `^registered tag=42 ip=127\.0\.0\.1 from=127\.0\.0\.1:\d+$`)
	boot := time.Since(started)
	sim.waitLine(t, `^report tag=42 status=2000$`)
	sim.waitLine(t, `^query tag=42 job=\d+ reply="\d+ 42 5 127\.0\.0\.1"$`)
	sim.waitLine(t, `^echo tag=42 ok$`)
	t.Logf("process start to registered: %v", boot)
	if boot > 2*time.Second {
		t.Errorf("registered %v after start; the target is 0.5s", boot)
	}
	agent.stop(t, syscall.SIGTERM)
	sim.waitLine(t, `^disconnected tag=42 from=127\.0\.0\.1:\d+$`)

	// A wrong KEY: the simulator says so, the agent keeps trying.
	in2 := newInstance(t, addr, "", "")
	os.WriteFile(in2.conf, []byte("CLC_IP=127.0.0.1\nCLC_PORT="+strings.Split(addr, ":")[1]+"\nTAG=42\nKEY=another-key-entirely\n"), 0o600)
	bad := startProc(t, nil, bin, in2.args()...)
	sim.waitLine(t, `^auth failed tag=42 from=127\.0\.0\.1:\d+ reason=closed$`)
	bad.waitLine(t, `controller failed the challenge`)
	bad.stop(t, syscall.SIGTERM)

	if code, _ := sim.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("simulator exit %d on SIGTERM, want 0", code)
	}
	if err := sim.err; err != nil && !errors.Is(err, context.Canceled) {
		t.Logf("simulator wait: %v", err)
	}
}

// alive reports whether pid runs (a zombie waiting for its reaper does not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// TestSimulatorFleetAndFlap: `osm clc --keys` authenticates each TAG with
// its own KEY, and `--flap drop` registers then drops every connection
// (the agent backs off: its retries grow, one line each).
func TestSimulatorFleetAndFlap(t *testing.T) {
	bin := osmBin(t)
	keys := filepath.Join(t.TempDir(), "keys")
	os.WriteFile(keys, []byte("# fleet\n42 "+testKey+"\n43 another-key-for-43\n"), 0o600)
	sim := startProc(t, nil, bin, "clc", "--listen", "127.0.0.1:0", "--keys", keys, "--flap", "drop")
	addr := sim.waitLine(t, `^listening addr=(127\.0\.0\.1:\d+)$`)[1]
	in := newInstance(t, addr, "", "")
	agent := startProc(t, nil, bin, in.args()...)
	for i := 0; i < 3; i++ {
		sim.waitLine(t, `^registered tag=42 `)
		sim.waitLine(t, `^disconnected tag=42 `)
	}
	agent.waitLine(t, `controller connection lost; reconnecting`)
	agent.stop(t, syscall.SIGTERM)

	in2 := newInstance(t, addr, "", "")
	os.WriteFile(in2.conf, []byte("CLC_IP=127.0.0.1\nCLC_PORT="+strings.Split(addr, ":")[1]+"\nTAG=43\nKEY=another-key-for-43\n"), 0o600)
	a2 := startProc(t, nil, bin, in2.args()...)
	sim.waitLine(t, `^registered tag=43 `)
	a2.stop(t, syscall.SIGTERM)

	in3 := newInstance(t, addr, "", "")
	in3.writeConf(t, addr, "", 44)
	a3 := startProc(t, nil, bin, in3.args()...)
	sim.waitLine(t, `^auth failed tag=44 from=\S+ reason=unknown-tag$`)
	a3.stop(t, syscall.SIGTERM)
	sim.stop(t, syscall.SIGTERM)
}
