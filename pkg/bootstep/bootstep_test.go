package bootstep

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/luoyun/osmanager/pkg/bootlog"
	"github.com/luoyun/osmanager/pkg/cli"
)

func newChain(t *testing.T) (*Chain, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	c := New(t.TempDir(), true, &out)
	c.Begin("/", false)
	return c, &out
}

func script(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "prog")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func steps(t *testing.T, c *Chain) []bootlog.Step {
	t.Helper()
	data, err := os.ReadFile(c.Rec.Path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bootlog.ParseBoot(data)
	if err != nil {
		t.Fatal(err)
	}
	return b.Steps
}

// TestRunStep: each kind of outcome is logged and recorded as the
// chain's contract says.
func TestRunStep(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		step    Step
		keep    bool // write the Keep file first
		ok      bool
		outcome string
		msg     string
		logged  []string
	}{
		{"done", "echo 'prog: shadow: changed'\necho 'prog: warning: a mistake' >&2\n", Step{}, false, true, bootlog.OK,
			"done (1 warning in log/osmanager.log)", []string{"[INFO] s: shadow: changed", "[WARN] s: a mistake", "[INFO] s: done"}},
		{"last", "echo updated\n", Step{Last: true}, false, true, bootlog.OK, "updated", []string{"[INFO] s: updated"}},
		{"failed", "echo half\nexit 3\n", Step{}, false, false, bootlog.Failed, "failed (exit 3): half",
			[]string{"[INFO] s: half", "[ERROR] s: failed (exit 3)"}},
		{"keep", "echo 'prog: no luck' >&2\nexit 1\n", Step{Keep: "k"}, true, true, bootlog.Warning, "failed (exit 1): no luck; going on with the existing ",
			[]string{"[WARN] s: no luck", "[WARN] s: failed (exit 1); going on with the existing "}},
		{"nothing to keep", "exit 1\n", Step{Keep: "k"}, false, false, bootlog.Failed, "failed (exit 1): ; no ",
			[]string{"[ERROR] s: failed (exit 1) and there is no "}},
		{"needs", "", Step{Needs: "n"}, false, false, bootlog.Skipped, "no ", []string{"[ERROR] s: skipped: no "}},
		{"optional", "", Step{Optional: true}, false, true, bootlog.Skipped, "no executable ", []string{"[INFO] s: skipped: no executable "}},
		{"timeout", "trap '' TERM\nsleep 30\n", Step{Timeout: 300 * time.Millisecond}, false, false, bootlog.Failed,
			"failed (timed out after 300ms):", []string{"[ERROR] s: failed (timed out after 300ms)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, out := newChain(t)
			s := tc.step
			s.Name = "s"
			s.Cmd = []string{script(t, c.Dir, tc.body)}
			if tc.name == "optional" || tc.name == "needs" {
				s.Cmd = []string{filepath.Join(c.Dir, "missing")}
			}
			if s.Keep != "" {
				s.Keep = filepath.Join(c.Dir, s.Keep)
				if tc.keep {
					os.WriteFile(s.Keep, []byte("TAG=1\n"), 0o600)
				}
			}
			if s.Needs != "" {
				s.Needs = filepath.Join(c.Dir, s.Needs)
			}
			start := time.Now()
			if ok := c.RunStep(context.Background(), s); ok != tc.ok {
				t.Errorf("RunStep = %v, want %v:\n%s", ok, tc.ok, out)
			}
			if tc.name == "timeout" && time.Since(start) > 20*time.Second {
				t.Errorf("a step that ignores SIGTERM took %v", time.Since(start))
			}
			st := steps(t, c)
			if len(st) != 1 || st[0].Outcome != tc.outcome || !strings.HasPrefix(st[0].Message, tc.msg) {
				t.Errorf("recorded %+v, want %s %q...", st, tc.outcome, tc.msg)
			}
			log, _ := os.ReadFile(c.Log.File)
			for _, w := range tc.logged {
				if !strings.Contains(out.String(), w) || !strings.Contains(string(log), w) {
					t.Errorf("stdout or osmanager.log lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestStart: a daemon's --background start, as its exit status and
// lines tell it.
func TestStart(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		ok         bool
		outcome    string
		logged     string
	}{
		{"ready", "echo 'web: warning: x' >&2\necho 'listening addr=127.0.0.1:1'\n", true, bootlog.OK, "[INFO] s: started (pid 0, listening 127.0.0.1:1)"},
		{"disabled", "echo 'web ssh disabled' >&2\n", true, bootlog.Skipped, "[INFO] s: not started: web ssh disabled"},
		{"failed", "echo 'prog: cannot listen' >&2\nexit 1\n", false, bootlog.Failed, "[ERROR] s: failed: cannot listen (exit 1)"},
		{"slow", "sleep 30\n", false, bootlog.Failed, "[ERROR] s: failed: not up after 300ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, out := newChain(t)
			args := script(t, c.Dir, `[ -n "${LUOYUN_BACKGROUND_OUT+set}" ] || exit 9`+"\n"+tc.body)
			if ok := c.Start(context.Background(), Daemon{Name: "s", Cmd: []string{args}, Timeout: 300 * time.Millisecond}); ok != tc.ok {
				t.Errorf("Start = %v:\n%s", ok, out)
			}
			if st := steps(t, c); len(st) != 1 || st[0].Outcome != tc.outcome {
				t.Errorf("recorded %+v", st)
			}
			if !strings.Contains(out.String(), tc.logged) {
				t.Errorf("log lacks %q:\n%s", tc.logged, out)
			}
		})
	}
}

// TestLogRotates: osmanager.log rotates as the daemons' logs do, by the
// settings' [log] max_size_mb and max_backups.
func TestLogRotates(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "custom"), 0o755)
	os.WriteFile(filepath.Join(dir, "custom/osmanager.toml"), []byte("[log]\nmax_size_mb = 1\nmax_backups = 2\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "log"), 0o755)
	logFile := filepath.Join(dir, "log/osmanager.log")
	os.WriteFile(logFile, bytes.Repeat([]byte("x\n"), 1<<19), 0o644) // 1 MiB
	c := New(dir, false, nil)
	c.Log.Printf(bootlog.Info, "osmanager: starting")
	c.Close()
	data, _ := os.ReadFile(logFile)
	if !strings.HasSuffix(string(data), "[INFO] osmanager: starting\n") || len(data) > 1024 {
		t.Errorf("osmanager.log after a full one = %d bytes", len(data))
	}
	if old, _ := filepath.Glob(filepath.Join(dir, "log/osmanager-*.log")); len(old) != 1 {
		t.Errorf("rotated files: %q, want one", old)
	}
}

// TestCheckSettings: a mistake in any section is a warning line.
func TestCheckSettings(t *testing.T) {
	c, out := newChain(t)
	os.MkdirAll(filepath.Join(c.Dir, "custom"), 0o755)
	os.WriteFile(c.Settings(), []byte("[osm]\nstatus_intreval = \"5s\"\n[webssh]\nport = 0\n"), 0o644)
	if n := c.CheckSettings(); n != 2 || !strings.Contains(out.String(), "[WARN] settings: "+c.Settings()+" line 2: [osm] status_intreval: unknown key") {
		t.Errorf("CheckSettings = %d:\n%s", n, out)
	}
}

// TestStartOrNull: an argument naming the OrNull file is /dev/null when
// the file does not exist as the daemon starts, and stays when it does.
func TestStartOrNull(t *testing.T) {
	for _, exists := range []bool{false, true} {
		c, out := newChain(t)
		conf := filepath.Join(c.Dir, "luoyun.conf")
		if exists {
			if err := os.WriteFile(conf, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		prog := script(t, c.Dir, `echo "prog: warning: got $2" >&2; echo 'listening addr=127.0.0.1:1'`+"\n")
		if !c.Start(context.Background(), Daemon{Name: "s", Cmd: []string{prog, "-c", conf}, Timeout: 5 * time.Second, OrNull: conf}) {
			t.Fatalf("Start failed:\n%s", out)
		}
		want := os.DevNull
		if exists {
			want = conf
		}
		if !strings.Contains(out.String(), "got "+want+"\n") {
			t.Errorf("luoyun.conf exists %v: the daemon did not get %s:\n%s", exists, want, out)
		}
	}
}

// TestRunStepBuiltin: a run step naming the tree's own bin/NAME, for a
// NAME among the builtins, runs in this process (bin/NAME itself would
// fail), with the step's arguments, its output logged and its exit code
// and panics reported as a process's would be; the same name elsewhere,
// with a directory of its own, or a script in its place, is a process.
func TestRunStepBuiltin(t *testing.T) {
	var got []string
	builtins := map[string]cli.MainFunc{
		"fine": func(_ context.Context, args []string, _ io.Reader, stdout, _ io.Writer) int {
			got = args
			fmt.Fprintln(stdout, "fine: here")
			return 0
		},
		"bad": func(_ context.Context, _ []string, _ io.Reader, _, stderr io.Writer) int {
			fmt.Fprintln(stderr, "bad: no luck")
			return 3
		},
		"boom": func(context.Context, []string, io.Reader, io.Writer, io.Writer) int { panic("boom") },
		// stuck ignores its context, as a read of a hung device would.
		"stuck": func(context.Context, []string, io.Reader, io.Writer, io.Writer) int { select {} },
	}
	for _, tc := range []struct {
		name, prog string
		step       Step
		ok         bool
		msg        string
	}{
		{"builtin", "fine", Step{}, true, "done"},
		{"exit", "bad", Step{}, false, "failed (exit 3): no luck"},
		{"panic", "boom", Step{}, false, "failed (exit 2): internal error: boom"},
		{"timeout", "stuck", Step{Timeout: 100 * time.Millisecond}, false, "failed (timed out after 100ms):"},
		{"cd", "fine", Step{Cd: "/"}, false, "failed (exit 1): "},
		{"elsewhere", "fine", Step{}, false, "failed (exit 1): "},
		{"script", "fine", Step{}, false, "failed (exit 1): not a process"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, out := newChain(t)
			c.Builtins = builtins
			dir := filepath.Join(c.Dir, "bin")
			if tc.name == "elsewhere" {
				dir = filepath.Join(c.Dir, "other")
			}
			os.MkdirAll(dir, 0o755)
			// An ELF file that cannot run: run as a process, the step
			// fails with "exec format error"; the ELF test is by
			// magic only.
			p := filepath.Join(dir, tc.prog)
			if err := os.WriteFile(p, []byte("\x7fELF not a process"), 0o755); err != nil {
				t.Fatal(err)
			}
			if tc.name == "script" {
				p = script(t, dir, "echo not a process\nexit 1\n")
				if err := os.Rename(p, filepath.Join(dir, tc.prog)); err != nil {
					t.Fatal(err)
				}
				p = filepath.Join(dir, tc.prog)
			}
			got = nil
			s := tc.step
			s.Name, s.Cmd = "s", []string{p, "-c", "x"}
			if ok := c.RunStep(context.Background(), s); ok != tc.ok {
				t.Errorf("RunStep = %v, want %v:\n%s", ok, tc.ok, out)
			}
			st := steps(t, c)
			if last := st[len(st)-1]; !strings.HasPrefix(last.Message, tc.msg) {
				t.Errorf("recorded %q, want %q...\n%s", last.Message, tc.msg, out)
			}
			if tc.name == "builtin" && (strings.Join(got, " ") != "-c x" || !strings.Contains(out.String(), "[INFO] s: here")) {
				t.Errorf("builtin ran with %q; log:\n%s", got, out)
			}
		})
	}
}
