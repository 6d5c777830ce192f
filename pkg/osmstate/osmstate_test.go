package osmstate

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "osm.json")
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	in := State{Phase: Registered, Since: now, Controller: "127.0.0.1:1369", Tag: 42, LocalIP: "10.0.2.15", LastReport: 2000, LastReportAt: now, PID: 7}
	if err := Write(p, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", st.Mode().Perm())
	}
	data, _ := os.ReadFile(p)
	if !strings.Contains(string(data), `"state": "registered"`) {
		t.Errorf("file = %s", data)
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(filepath.Join(dir, "none")); err == nil {
		t.Error("Read(missing) succeeded")
	}
	p := filepath.Join(dir, "bad")
	os.WriteFile(p, []byte("{not json"), 0o644)
	if _, err := Read(p); err == nil {
		t.Error("Read(bad json) succeeded")
	}
}

// procTree makes a fixture proc root where pid runs the program argv0.
func procTree(t *testing.T, pid int, state byte, argv0 string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, strconv.Itoa(pid))
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "stat"), []byte(strconv.Itoa(pid)+" (x) "+string(state)+" 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "cmdline"), []byte(argv0+"\x00-c\x00/LuoYun/conf/luoyun.conf\x00"), 0o644)
	return root
}

// TestLive: a state says what it says only while its osm runs; a killed
// osm (gone, a zombie, its pid reused by another program) or a state
// without a pid reads as stopped.
func TestLive(t *testing.T) {
	since := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	reg := State{Phase: Registered, Since: since, Controller: "127.0.0.1:1369", Tag: 42, LastReport: 2000, PID: 7}
	for _, tt := range []struct {
		name  string
		root  string
		pid   int
		phase string
	}{
		{"running", procTree(t, 7, 'S', "/LuoYun/bin/osm"), 7, Registered},
		{"gone", t.TempDir(), 7, Stopped},
		{"zombie", procTree(t, 7, 'Z', "/LuoYun/bin/osm"), 7, Stopped},
		{"pid reused", procTree(t, 7, 'S', "/usr/bin/vim"), 7, Stopped},
		{"no pid", procTree(t, 7, 'S', "/LuoYun/bin/osm"), 0, Stopped},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := reg
			in.PID = tt.pid
			got := in.Live(tt.root)
			if got.Phase != tt.phase {
				t.Errorf("Live = %q, want %q", got.Phase, tt.phase)
			}
			if got.LastReport != 2000 || got.Tag != 42 || got.Since != since {
				t.Errorf("Live changed more than the phase: %+v", got)
			}
		})
	}
}

func TestSetStatus(t *testing.T) {
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	var s State
	s.SetStatus(2001, []byte("  no answer on http://127.0.0.1:8080/\n"), at)
	if s.Status != 2001 || s.StatusOutput != "no answer on http://127.0.0.1:8080/" || s.StatusSince != at {
		t.Errorf("SetStatus = %+v", s)
	}
	big := strings.Repeat("é", 1000) + "\xff"
	s.SetStatus(2002, []byte(big), at)
	if len(s.StatusOutput) > MaxStatusOutput+3 || !utf8.ValidString(s.StatusOutput) || !strings.HasSuffix(s.StatusOutput, "...") {
		t.Errorf("bounded output: %d bytes, valid %v, %q...", len(s.StatusOutput), utf8.ValidString(s.StatusOutput), s.StatusOutput[:10])
	}
	s.SetStatus(2000, []byte("ok\xff\xfe"), at)
	if !utf8.ValidString(s.StatusOutput) {
		t.Errorf("invalid UTF-8 kept: %q", s.StatusOutput)
	}
}

func TestReportText(t *testing.T) {
	for code, want := range map[int]string{
		0: "no report yet", 2000: "application running", 2001: "application not serving (status script exit 1)",
		2127: "application not serving (status script exit 127)", 2128: "application status unknown (status script missing, killed or timed out)",
		2130: "application status 2130",
	} {
		if got := ReportText(code); got != want {
			t.Errorf("ReportText(%d) = %q, want %q", code, got, want)
		}
	}
}
