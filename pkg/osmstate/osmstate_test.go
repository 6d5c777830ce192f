package osmstate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
