package settings

import (
	"errors"
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
		{"memory.trim_interval", s.Memory.TrimInterval.D(), time.Minute},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("default %s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "none.toml")
	s, probs, err := Load(p, true)
	if err != nil || probs != nil {
		t.Fatalf("Load(missing, ok) = %v, %v", probs, err)
	}
	if !cmp.Equal(s, Defaults()) {
		t.Error("missing file did not give defaults")
	}
	if _, _, err := Load(p, false); err == nil || err.Error() != "cannot read the settings file "+p+": no such file or directory" {
		t.Errorf("Load(missing, required) = %v", err)
	}
}

// TestMemoryTrimAccepted: memory.trim, true or false, is no mistake;
// the settings say the file sets it (TrimSet), and nothing else changes.
func TestMemoryTrimAccepted(t *testing.T) {
	for _, v := range []string{"true", "false"} {
		s, probs, err := Decode("t.toml", "[memory]\ntrim = "+v+"\n")
		if err != nil || len(probs) != 0 {
			t.Fatal(v, probs, err)
		}
		if !s.Memory.TrimSet {
			t.Errorf("trim = %s: TrimSet false, want true", v)
		}
		s.Memory.Trim, s.Memory.TrimSet = false, false
		if d := cmp.Diff(Defaults(), s); d != "" {
			t.Errorf("trim = %s changed other settings (-want +got):\n%s", v, d)
		}
	}
	if s, _, _ := Decode("t.toml", "[memory]\ntrim_interval = \"5m\"\n"); s.Memory.TrimSet {
		t.Error("a file without trim: TrimSet true, want false")
	}
}

// TestMemoryTrimInterval: memory.trim_interval takes 0 (never) and durations of a second or more (TestProblems has the others).
func TestMemoryTrimInterval(t *testing.T) {
	for text, want := range map[string]time.Duration{`"5m"`: 5 * time.Minute, `"0"`: 0, `"1s"`: time.Second} {
		s, probs, err := Decode("t.toml", "[memory]\ntrim_interval = "+text+"\n")
		if err != nil || len(probs) != 0 {
			t.Fatal(text, probs, err)
		}
		if s.Memory.TrimInterval.D() != want {
			t.Errorf("trim_interval = %s: %v, want %v", text, s.Memory.TrimInterval, want)
		}
	}
}

func TestDecodeOverrides(t *testing.T) {
	s, probs, err := Decode("t.toml", "[osm]\nstatus_interval = \"2s\"\n[webssh]\ncommand = [\"/bin/sh\", \"-l\"]\nmax_sessions = 2\n")
	if err != nil || len(probs) != 0 {
		t.Fatal(probs, err)
	}
	if s.OSM.StatusInterval.D() != 2*time.Second || s.OSM.StatusTimeout.D() != 30*time.Second {
		t.Errorf("osm = %+v", s.OSM)
	}
	if !cmp.Equal(s.WebSSH.Command, []string{"/bin/sh", "-l"}) || s.WebSSH.MaxSessions != 2 || s.WebSSH.Port != 8001 {
		t.Errorf("webssh = %+v", s.WebSSH)
	}
}

// TestProblems: each mistake is one problem naming the file, the line,
// the key and the closest known key; the default stands in for it.
func TestProblems(t *testing.T) {
	tests := []struct{ in, want string }{
		{"[webssh]\nmax_sesions = 3\n", "t.toml line 2: [webssh] max_sesions: unknown key; did you mean max_sessions?"},
		{"[web]\nport = 99999\n", "t.toml line 2: [web] port: must be a port 1..65535, got 99999"},
		{"[wbe]\nport = 1\n", "t.toml line 1: [wbe]: unknown section; did you mean web?"},
		{"port = 1\n", "t.toml line 1: port: unknown key outside any section"},
		{"osm = 1\n", "t.toml line 1: osm: must be a section, written [osm]"},
		{"[osm]\nstatus_interval = \"soon\"\n", `t.toml line 2: [osm] status_interval: "soon" is not a duration (write it like "5s" or "1m")`},
		{"[osm]\nstatus_interval = 5\n", `t.toml line 2: [osm] status_interval: must be a duration in quotes, such as "5s" or "1m30s"`},
		{"[osm]\nstatus_interval = \"-1s\"\n", "t.toml line 2: [osm] status_interval: must be positive, got -1s"},
		{"[osm]\nreconnect_min = \"2m\"\n", "t.toml line 2: [osm] reconnect_min: reconnect_max (1m0s) is below reconnect_min (2m0s); both take their defaults"},
		{"[memory]\ntrim_interval = \"500ms\"\n", "t.toml line 2: [memory] trim_interval: must be 0 (never) or at least 1s, got 500ms"},
		{"[memory]\ntrim_interval = \"-1m\"\n", "t.toml line 2: [memory] trim_interval: must be 0 (never) or at least 1s, got -1m0s"},
		{"[web]\nport = \"8080\"\n", "t.toml line 2: [web] port: must be a whole number, got a string"},
		{"[web]\nprocs = -1\n", "t.toml line 2: [web] procs: must be at least 0, got -1"},
		{"[webssh]\ncommand = []\n", `t.toml line 2: [webssh] command: must name a program, such as ["/bin/login"]`},
		{"[webssh]\ncommand = \"/bin/sh\"\n", `t.toml line 2: [webssh] command: must be a list of strings, such as ["a", "b"], got a string`},
		{"[webssh]\ntls_cert = \"/x\"\n", "t.toml line 2: [webssh] tls_cert: tls_cert and tls_key go together: set both or neither; both take their defaults"},
		{"[log]\nmax_size_mb = 0\n", "t.toml line 2: [log] max_size_mb: must be at least 1, got 0"},
		{"[webssh]\nlogin_front = \"yes\"\n", "t.toml line 2: [webssh] login_front: must be true or false, got a string"},
		{"[memory]\ntrim = \"off\"\n", "t.toml line 2: [memory] trim: must be true or false, got a string"},
		{"[memory]\ntirm = false\n", "t.toml line 2: [memory] tirm: unknown key; did you mean trim?"},
		{"[memroy]\ntrim = false\n", "t.toml line 1: [memroy]: unknown section; did you mean memory?"},
		{"[floppy]\n\n# x\nwait = \"-1s\"\n", "t.toml line 4: [floppy] wait: must not be negative, got -1s"},
		{"[webssh]\n# the front end\ntrusted_proxies = [\"10.0.0.1\", \"10.0.0.0/33\"]\n",
			`t.toml line 3: [webssh] trusted_proxies: "10.0.0.0/33" is not an IP address or prefix (such as "10.0.0.1" or "10.0.0.0/8")`},
	}
	for _, tt := range tests {
		s, probs, err := Decode("t.toml", tt.in)
		if err != nil {
			t.Errorf("Decode(%q) error %v, want a problem", tt.in, err)
			continue
		}
		if len(probs) != 1 || probs[0].Error() != tt.want {
			t.Errorf("Decode(%q) problems = %v, want %q", tt.in, probs, tt.want)
		}
		if !cmp.Equal(s, Defaults()) {
			t.Errorf("Decode(%q): the default did not stand in:\n%s", tt.in, cmp.Diff(Defaults(), s))
		}
	}
}

// TestMistakeKeepsTheRest: a wrong key does not hide the file's other
// keys, in its section or elsewhere.
func TestMistakeKeepsTheRest(t *testing.T) {
	s, probs, err := Decode("t.toml", "[osm]\nstatus_interval = \"2s\"\nreconnect_min = \"soon\"\n[webssh]\nmax_sesions = 3\nport = 8022\n[web]\nport = 99999\nprocs = 2\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 3 {
		t.Errorf("problems = %v, want 3", probs)
	}
	if s.OSM.StatusInterval.D() != 2*time.Second || s.OSM.ReconnectMin != Defaults().OSM.ReconnectMin ||
		s.WebSSH.Port != 8022 || s.Web.Port != 8080 || s.Web.Procs != 2 {
		t.Errorf("settings = %+v", s)
	}
	own, others := Split(probs, SectionWeb, SectionLog)
	if len(own) != 1 || own[0].Section != "web" || len(others) != 2 {
		t.Errorf("Split(web, log) = %v / %v", own, others)
	}
	own, others = Split(probs)
	if len(own) != 0 || len(others) != 3 {
		t.Errorf("Split() = %v / %v", own, others)
	}
}

func TestSyntaxError(t *testing.T) {
	s, probs, err := Decode("t.toml", "[osm]\nstatus_interval = \"5s\"\n[web\nport = 1\n")
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 3 || !strings.HasPrefix(err.Error(), "t.toml line 3: not valid TOML: ") {
		t.Fatalf("Decode error = %v, want a SyntaxError on line 3", err)
	}
	if probs != nil || !cmp.Equal(s, Defaults()) {
		t.Errorf("Decode = %+v, %v; want the defaults", s, probs)
	}
}

func TestValidate(t *testing.T) {
	s := Defaults()
	s.Web.Port = 0
	s.OSM.ReconnectMin = Duration(time.Hour)
	err := s.Validate()
	if err == nil || !strings.Contains(err.Error(), "web.port: must be a port 1..65535, got 0") || !strings.Contains(err.Error(), "osm: reconnect_max") {
		t.Errorf("Validate = %v", err)
	}
	for _, k := range Keys() {
		if _, ok := checks[k]; ok && !contains(checkOrder, k) {
			t.Errorf("check of %s is not in checkOrder", k)
		}
	}
	if len(checkOrder) != len(checks) {
		t.Errorf("checkOrder has %d keys, checks %d", len(checkOrder), len(checks))
	}
}

func contains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

// TestShippedFile checks that custom/osmanager.toml parses, documents every
// key, and states the defaults.
func TestShippedFile(t *testing.T) {
	p := filepath.Join("..", "..", "custom", "osmanager.toml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s, probs, err := Load(p, false)
	if err != nil || len(probs) > 0 {
		t.Fatalf("shipped file: %v %v", probs, err)
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
	s2, probs, err := Decode(p, b.String())
	if err != nil || len(probs) > 0 {
		t.Fatalf("uncommented shipped file: %v %v", probs, err)
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
			if section+"."+key == "memory.trim" {
				continue // accepted and does nothing: not offered
			}
			if !strings.Contains(b.String(), "\n"+key+" = ") {
				t.Errorf("custom/osmanager.toml does not document %s.%s", section, key)
			}
		}
	}
}
