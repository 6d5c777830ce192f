package main

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
	"testing"

	"github.com/luoyun/osmanager/internal/termtest"
)

var line = regexp.MustCompile(`^(\S+) +echo round trip, client on loopback: p50 +([0-9.]+) ms +p99 +([0-9.]+) ms +max +([0-9.]+) ms \(n=(\d+)\)\n$`)

// checkReport runs the probe and checks its one line of figures.
func checkReport(t *testing.T, args ...string) {
	t.Helper()
	var out bytes.Buffer
	if err := run(args, &out, &out); err != nil {
		t.Fatal(err)
	}
	m := line.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("output %q", out.String())
	}
	if n, _ := strconv.Atoi(m[5]); n != 30 {
		t.Errorf("n=%d, want 30 timed keys", n)
	}
	p50, _ := strconv.ParseFloat(m[2], 64)
	p99, _ := strconv.ParseFloat(m[3], 64)
	mx, _ := strconv.ParseFloat(m[4], 64)
	if !(0 < p50 && p50 <= p99 && p99 <= mx && mx < 5000) {
		t.Errorf("figures out of order or range: %q", out.String())
	}
	t.Log(out.String())
}

func TestWebssh(t *testing.T) {
	url := termtest.Webssh(t)
	checkReport(t, "-kind", "webssh", "-url", url, "-keys", "30")
	checkReport(t, "-kind", "webssh", "-name", "again", "-url", url, "-keys", "30")
}

func TestWebsshAcrossEnter(t *testing.T) {
	c, err := dial(t.Context(), "webssh", termtest.Webssh(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	lat, err := measure(c, 100) // two Enters: "xxx…: not found", then a prompt
	if err != nil {
		t.Fatal(err)
	}
	if len(lat) != 100 {
		t.Fatalf("%d latencies, want 100", len(lat))
	}
}

// TestShellinabox runs the same probe against Debian's shellinaboxd.
func TestShellinabox(t *testing.T) {
	checkReport(t, "-kind", "shellinabox", "-url", termtest.Shellinabox(t), "-keys", "30")
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-url", "http://127.0.0.1:1/", "extra"},
		{"-url", "http://127.0.0.1:1/", "-keys", "0"},
		{"-kind", "telnet", "-url", "http://127.0.0.1:1/"},
		{"-bogus"},
	} {
		if err := run(args, &bytes.Buffer{}, &bytes.Buffer{}); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	// Nothing listens: a clear error, not a usage error.
	err := run([]string{"-url", "http://127.0.0.1:1/", "-keys", "1"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || errors.Is(err, errUsage) {
		t.Errorf("dead server: %v", err)
	}
}
