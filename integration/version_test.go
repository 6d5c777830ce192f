package integration

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestVersionAndPortInStatus: an operator learns from the tree itself
// which version runs and where the terminal's port came from. The release
// and commit of `bin/osm --version` are in every binary's --version, in
// `osmanager.sh status` and `status --json` ("version"), and on the page
// ($osmversion). With the cloud's JSON port overriding the settings
// file's, webssh.log has one line naming both and status shows the port
// with where it came from.
func TestVersionAndPortInStatus(t *testing.T) {
	s := newSandbox(t, 2*time.Second)
	out, err := exec.Command(filepath.Join(s.bin, "osm"), "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	ver := strings.TrimPrefix(strings.TrimSpace(string(out)), "osm ") // "RELEASE (commit C)"
	release, commit, ok := strings.Cut(strings.TrimSuffix(ver, ")"), " (commit ")
	if !ok {
		t.Fatalf("osm --version = %q, want NAME RELEASE (commit COMMIT)", out)
	}
	for _, b := range []string{"web", "webssh", "osc", "floppyconf"} {
		if out, err := exec.Command(filepath.Join(s.bin, b), "--version").Output(); err != nil || strings.TrimSpace(string(out)) != b+" "+ver {
			t.Errorf("%s --version = %q, %v; want %q", b, out, err, b+" "+ver)
		}
	}
	toml := filepath.Join(s.tree, "custom/osmanager.toml")
	setPort := freePort(t)
	mustWrite(t, toml, strings.Replace(readFile(t, toml), fmt.Sprintf("[webssh]\nport = %d\n", s.websshPort), fmt.Sprintf("[webssh]\nport = %d\n", setPort), 1), 0o644)
	mustWrite(t, filepath.Join(s.tree, "custom/www/nocookie/v.html"), "[$osmversion]\n", 0o644)
	if r := s.osmanager(t, "start"); r.code != 0 {
		t.Fatalf("start = exit %d:\n%s", r.code, r.out)
	}
	st := s.osmanager(t, "status")
	note := fmt.Sprintf("port from cloud: the cloud's JSON webssh.port %d overrides [webssh] port %d of the settings file", s.websshPort, setPort)
	for _, w := range []string{"version: " + ver + "\n", note} {
		if !strings.Contains(st.out, w) {
			t.Errorf("status lacks %q:\n%s", w, st.out)
		}
	}
	js := s.osmanager(t, "status", "--json")
	var rep struct {
		Version struct{ Release, Commit string } `json:"version"`
		Daemons []struct {
			Name     string `json:"name"`
			PortFrom string `json:"port_from"`
		} `json:"daemons"`
	}
	if err := json.Unmarshal([]byte(js.out), &rep); err != nil {
		t.Fatalf("status --json: %v\n%s", err, js.out)
	}
	if rep.Version.Release != release || rep.Version.Commit != commit {
		t.Errorf(`status --json "version" = %+v, want release %q commit %q`, rep.Version, release, commit)
	}
	for _, d := range rep.Daemons {
		if d.Name == "webssh" && d.PortFrom != "cloud" {
			t.Errorf("status --json webssh port_from = %q, want cloud", d.PortFrom)
		}
	}
	page := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/v.html", s.webPort))
	if want := "[" + ver + "]"; strings.TrimSpace(page) != want {
		t.Errorf("page $osmversion = %q, want %q", page, want)
	}
	logLine := fmt.Sprintf("the cloud's JSON webssh.port %d overrides [webssh] port %d of the settings file", s.websshPort, setPort)
	if n := strings.Count(readFile(t, filepath.Join(s.tree, "log/webssh.log")), logLine); n != 1 {
		t.Errorf("webssh.log names the override %d times, want once", n)
	}
}
