package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDefaults(t *testing.T) {
	s := Defaults()
	if err := s.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"status_interval", s.OSM.StatusInterval.D(), 5 * time.Second},
		{"status_timeout", s.OSM.StatusTimeout.D(), 30 * time.Second},
		{"reconnect_min", s.OSM.ReconnectMin.D(), time.Second},
		{"reconnect_max", s.OSM.ReconnectMax.D(), time.Minute},
		{"web.port", s.Web.Port, 8080},
		{"web.procs", s.Web.Procs, 1},
		{"webssh.port", s.WebSSH.Port, 8001},
		{"webssh.command", strings.Join(s.WebSSH.Command, " "), "/bin/login"},
		{"webssh.max_sessions", s.WebSSH.MaxSessions, 8},
		{"log.max_size_mb", s.Log.MaxSizeMB, 1},
		{"log.max_backups", s.Log.MaxBackups, 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("default %s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "none.toml")
	s, err := Load(p, true)
	if err != nil {
		t.Fatalf("Load(missing, ok) = %v", err)
	}
	if !cmp.Equal(s, Defaults()) {
		t.Error("missing file did not give defaults")
	}
	if _, err := Load(p, false); err == nil {
		t.Error("Load(missing, required) succeeded")
	}
}

func TestParseOverrides(t *testing.T) {
	s, err := Parse("[osm]\nstatus_interval = \"2s\"\n[webssh]\ncommand = [\"/bin/sh\", \"-l\"]\nmax_sessions = 2\n")
	if err != nil {
		t.Fatal(err)
	}
	if s.OSM.StatusInterval.D() != 2*time.Second || s.OSM.StatusTimeout.D() != 30*time.Second {
		t.Errorf("osm = %+v", s.OSM)
	}
	if !cmp.Equal(s.WebSSH.Command, []string{"/bin/sh", "-l"}) || s.WebSSH.MaxSessions != 2 || s.WebSSH.Port != 8001 {
		t.Errorf("webssh = %+v", s.WebSSH)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"[osm]\nstatus_intervall = \"5s\"\n", "osm.status_intervall"},
		{"[wbe]\nport = 1\n", "wbe"},
		{"[osm]\nstatus_interval = \"soon\"\n", "bad duration"},
		{"[osm]\nstatus_interval = \"-1s\"\n", "must be positive"},
		{"[osm]\nreconnect_min = \"2m\"\n", "below osm.reconnect_min"},
		{"[web]\nport = 70000\n", "web.port"},
		{"[web]\nprocs = -1\n", "web.procs"},
		{"[webssh]\ncommand = []\n", "webssh.command"},
		{"[webssh]\ntls_cert = \"/x\"\n", "go together"},
		{"[log]\nmax_size_mb = 0\n", "log.max_size_mb"},
		{"[web\n", "toml"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want mention of %q", tt.in, err, tt.want)
		}
	}
}

// TestShippedFile checks that custom/osmanager.toml parses, documents every
// key, and states the defaults.
func TestShippedFile(t *testing.T) {
	p := filepath.Join("..", "..", "custom", "osmanager.toml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load(p, false)
	if err != nil {
		t.Fatalf("shipped file: %v", err)
	}
	if !cmp.Equal(s, Defaults()) {
		t.Errorf("shipped file differs from the defaults:\n%s", cmp.Diff(Defaults(), s))
	}
	// Uncomment every "# key = value" line: the result must still be the
	// defaults, so every documented value is the true default.
	var b strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "# ") && strings.Contains(line, " = ") && !strings.Contains(line, "(") {
			line = strings.TrimPrefix(line, "# ")
		}
		b.WriteString(line + "\n")
	}
	s2, err := Parse(b.String())
	if err != nil {
		t.Fatalf("uncommented shipped file: %v", err)
	}
	if !cmp.Equal(s2, Defaults(), cmpopts.EquateEmpty()) {
		t.Errorf("documented values differ from the defaults:\n%s", cmp.Diff(Defaults(), s2, cmpopts.EquateEmpty()))
	}
	// Every key of the struct is documented.
	var all map[string]any
	buf := new(strings.Builder)
	if err := toml.NewEncoder(buf).Encode(Defaults()); err != nil {
		t.Fatal(err)
	}
	if _, err := toml.Decode(buf.String(), &all); err != nil {
		t.Fatal(err)
	}
	for section, v := range all {
		for key := range v.(map[string]any) {
			if !strings.Contains(b.String(), "\n"+key+" = ") {
				t.Errorf("custom/osmanager.toml does not document %s.%s", section, key)
			}
		}
	}
}
