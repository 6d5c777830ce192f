package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/luoyun/osmanager/pkg/settings"
)

func newTest() (*Command, *string, *int) {
	c := New("osm", "[options]", "The registrar.")
	cfg := c.Flags.StringP("config", "c", "/LuoYun/conf/luoyun.conf", "instance config")
	port := c.Flags.IntP("port", "p", 8080, "port")
	return c, cfg, port
}

func TestParseShortAndLong(t *testing.T) {
	for _, args := range [][]string{{"-c", "/x", "-p", "9"}, {"--config=/x", "--port", "9"}, {"-c/x", "-p9"}} {
		c, cfg, port := newTest()
		done, err := c.Parse(args, &bytes.Buffer{})
		if err != nil || done {
			t.Fatalf("Parse(%q) = %v, %v", args, done, err)
		}
		if *cfg != "/x" || *port != 9 {
			t.Errorf("Parse(%q): config %q port %d", args, *cfg, *port)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	c, _, _ := newTest()
	var out bytes.Buffer
	done, err := c.Parse([]string{"--help"}, &out)
	if err != nil || !done {
		t.Fatalf("--help: %v %v", done, err)
	}
	for _, want := range []string{"Usage: osm [options]", "The registrar.", "-c, --config", "--settings", "--version", "-h, --help"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
	c, _, _ = newTest()
	out.Reset()
	if done, err := c.Parse([]string{"--version"}, &out); err != nil || !done || !strings.HasPrefix(out.String(), "osm ") {
		t.Errorf("--version: %v %v %q", done, err, out.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"-p", "abc"}, {"-c"}} {
		c, _, _ := newTest()
		_, err := c.Parse(args, &bytes.Buffer{})
		var stderr bytes.Buffer
		if code := ExitCode("osm", err, &stderr); code != ExitUsage {
			t.Errorf("Parse(%q): exit %d, want 2 (err %v)", args, code, err)
		}
		if !strings.Contains(stderr.String(), "osm: ") || !strings.Contains(stderr.String(), "--help") {
			t.Errorf("stderr = %q", stderr.String())
		}
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err      error
		code     int
		wantText string
	}{
		{nil, 0, ""},
		{context.Canceled, 0, ""},
		{fmt.Errorf("serve: %w", context.Canceled), 0, ""},
		{errors.New("read config: no such file\nsecond line"), 1, "osm: read config: no such file; second line\n"},
		{Usagef("unexpected argument %q", "x"), 2, "osm: unexpected argument \"x\"\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if got := ExitCode("osm", tt.err, &b); got != tt.code || !strings.HasPrefix(b.String(), tt.wantText) {
			t.Errorf("ExitCode(%v) = %d %q, want %d %q", tt.err, got, b.String(), tt.code, tt.wantText)
		}
	}
}

func TestSettings(t *testing.T) {
	dir := t.TempDir()
	c, _, _ := newTest()
	if _, err := c.Parse([]string{"--settings", filepath.Join(dir, "none.toml")}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Settings(io.Discard); err == nil {
		t.Error("explicit missing settings file accepted")
	}
	p := filepath.Join(dir, "s.toml")
	if err := os.WriteFile(p, []byte("[web]\nport = 9090\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, _, _ = newTest()
	if _, err := c.Parse([]string{"--settings=" + p}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	s, err := c.Settings(io.Discard, settings.SectionWeb)
	if err != nil || s.Web.Port != 9090 {
		t.Errorf("Settings = %+v, %v", s.Web, err)
	}
}

// TestSettingsSections: a mistake stops only the component whose section
// holds it; the others say one warning line; the lenient ones (floppyconf,
// osc) never fail.
func TestSettingsSections(t *testing.T) {
	p := filepath.Join(t.TempDir(), "osmanager.toml")
	text := "[webssh]\nmax_sesions = 3\n[web]\nport = 99999\n[floppy]\nwait = \"soon\"\n"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		use     []string
		lenient bool
		wantErr string
		wantOut string
	}{
		{"osm", []string{settings.SectionOSM, settings.SectionLog}, false, "",
			"osm: warning: ignoring 3 mistakes in settings osm does not use; the first: " + p + " line 2: [webssh] max_sesions: unknown key; did you mean max_sessions?\n"},
		{"webssh", []string{settings.SectionWebSSH, settings.SectionLog}, false,
			p + " line 2: [webssh] max_sesions: unknown key; did you mean max_sessions?",
			"webssh: warning: ignoring 2 mistakes in settings webssh does not use; the first: " + p + " line 4: [web] port: must be a port 1..65535, got 99999\n"},
		{"web", []string{settings.SectionWeb, settings.SectionLog}, false,
			p + " line 4: [web] port: must be a port 1..65535, got 99999", "web: warning: ignoring 2 mistakes"},
		{"floppyconf", []string{settings.SectionFloppy}, true, "",
			"floppyconf: warning: " + p + " line 6: [floppy] wait: \"soon\" is not a duration (write it like \"5s\" or \"1m\"); using the default 5s\n" +
				"floppyconf: warning: ignoring 2 mistakes in settings floppyconf does not use; the first: "},
		{"osc", nil, true, "", "osc: warning: ignoring 3 mistakes in settings osc does not use; the first: "},
	}
	// A mistake in a tuning section ([memory]) never stops a daemon that
	// uses it: a warning, and the default stands in.
	tuning := filepath.Join(t.TempDir(), "tuning.toml")
	if err := os.WriteFile(tuning, []byte("[memory]\ntrim_interval = \"soon\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	osm := New("osm", "", "")
	if _, err := osm.Parse([]string{"--settings", tuning}, io.Discard); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s, err := osm.Settings(&out, settings.SectionOSM, settings.SectionLog, settings.SectionMemory)
	if want := "osm: warning: " + tuning + " line 2: [memory] trim_interval: \"soon\" is not a duration (write it like \"5s\" or \"1m\"); using the default 1m0s\n"; err != nil || out.String() != want || s.Memory.TrimInterval.D() != time.Minute {
		t.Errorf("[memory] mistake: error %v, trim_interval %v, stderr %q, want no error, trim_interval 1m, %q", err, s.Memory.TrimInterval, out.String(), want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tt.name, "", "")
			if _, err := c.Parse([]string{"--settings", p}, io.Discard); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			var err error
			if tt.lenient {
				c.SettingsOrDefaults(&stderr, tt.use...)
			} else {
				_, err = c.Settings(&stderr, tt.use...)
			}
			if (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(stderr.String(), tt.wantOut) || strings.Count(stderr.String(), "ignoring") > 1 {
				t.Errorf("stderr = %q, want it to start %q", stderr.String(), tt.wantOut)
			}
		})
	}
	// Not TOML: the daemons refuse, the lenient ones go on with defaults.
	if err := os.WriteFile(p, []byte("[web\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := New("osc", "", "")
	c.Parse([]string{"--settings", p}, io.Discard)
	var stderr bytes.Buffer
	if s := c.SettingsOrDefaults(&stderr); !cmp.Equal(s, settings.Defaults()) ||
		stderr.String() != "osc: warning: "+p+" line 1: not valid TOML: expected '.' or ']' to end table name, but got '\\n' instead; going on with the built-in defaults\n" {
		t.Errorf("osc on bad TOML: stderr %q", stderr.String())
	}
	c = New("web", "", "")
	c.Parse([]string{"--settings", p}, io.Discard)
	if _, err := c.Settings(io.Discard, settings.SectionWeb); err == nil || !strings.Contains(err.Error(), "not valid TOML") {
		t.Errorf("web on bad TOML: %v", err)
	}
}

// TestErrorText: the one line a person reads for representative
// command-line mistakes: no Go internals, no doubled prefix, the right
// --help.
func TestErrorText(t *testing.T) {
	newCmd := func(name string) *Command {
		c := New(name, "", "")
		c.Flags.IntP("port", "p", 0, "")
		c.Flags.Int32("reply", 0, "")
		c.Flags.Duration("wait", 0, "")
		c.Flags.Bool("debug", false, "")
		return c
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"osm", []string{"-p", "abc"}, "osm: -p/--port: \"abc\" is not a whole number\nTry 'osm --help' for more information.\n"},
		{"osm", []string{"--reply", "99999999999"}, "osm: --reply: \"99999999999\" is out of range\nTry 'osm --help' for more information.\n"},
		{"floppyconf", []string{"--wait", "soon"}, "floppyconf: --wait: \"soon\" is not a duration (write it like \"5s\" or \"1m\")\nTry 'floppyconf --help' for more information.\n"},
		{"web", []string{"--debug=maybe"}, "web: --debug: \"maybe\" is not true or false\nTry 'web --help' for more information.\n"},
		{"osm clc", []string{"--bogus"}, "osm clc: unknown flag: --bogus\nTry 'osm clc --help' for more information.\n"},
		{"osm clc", []string{"stray"}, "osm clc: unexpected argument \"stray\"\nTry 'osm clc --help' for more information.\n"},
	}
	for _, tt := range tests {
		c := newCmd(tt.name)
		_, err := c.Parse(tt.args, io.Discard)
		if err == nil {
			err = c.NoArgs()
		}
		var stderr bytes.Buffer
		ExitCode("osm", err, &stderr)
		if stderr.String() != tt.want {
			t.Errorf("%s %q:\n got %q\nwant %q", tt.name, tt.args, stderr.String(), tt.want)
		}
	}
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"osm", errors.New("osm: osm: config path is required"), "osm: config path is required\n"},
		{"web", fmt.Errorf("web: listen: %w", errors.New("address in use")), "web: listen: address in use\n"},
		{"osm clc", errors.New("clc: no key"), "osm clc: no key\n"},
	} {
		var stderr bytes.Buffer
		ExitCode(tt.name, tt.err, &stderr)
		if stderr.String() != tt.want {
			t.Errorf("ExitCode(%s, %v) = %q, want %q", tt.name, tt.err, stderr.String(), tt.want)
		}
	}
}

func TestNoArgs(t *testing.T) {
	c, _, _ := newTest()
	if _, err := c.Parse([]string{"-c", "/x"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := c.NoArgs(); err != nil {
		t.Errorf("NoArgs with no arguments = %v", err)
	}
	c, _, _ = newTest()
	if _, err := c.Parse([]string{"extra", "-c", "/x"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := ExitCode("osm", c.NoArgs(), &stderr); code != ExitUsage || !strings.Contains(stderr.String(), `unexpected argument "extra"`) {
		t.Errorf("NoArgs with an argument: exit %d, stderr %q", code, stderr.String())
	}
}
