package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	if _, err := c.Settings(); err == nil {
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
	s, err := c.Settings()
	if err != nil || s.Web.Port != 9090 {
		t.Errorf("Settings = %+v, %v", s.Web, err)
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
