package integration

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBuilderReadme follows the README as an appliance builder on an
// original-shaped tree: make install DESTDIR= upgrades it and its last
// line names custom/osmanager.toml, written as shipped (every key
// commented out); the chain starts; the builder sets [web] port in that
// file, runs `osmanager.sh restart web`, and status and status --json show
// web listening on the new port, the page answers there, and no settings
// problem is reported.
func TestBuilderReadme(t *testing.T) {
	root := originalRoot(t)
	tree := filepath.Join(root, "LuoYun")
	r := upgradeWays["make install"](t, root)
	if r.code != 0 || !strings.Contains(r.out, "upgrade success") {
		t.Fatalf("upgrade = exit %d:\n%s", r.code, r.out)
	}
	settings := filepath.Join(tree, "custom/osmanager.toml")
	if !strings.Contains(lastLine(r.out), settings) {
		t.Errorf("the upgrade's last line does not name %s:\n%s", settings, r.out)
	}
	sample := readFile(t, settings)
	if sample != readFile(t, filepath.Join(repoRoot(t), "custom/osmanager.toml")) {
		t.Errorf("%s is not the shipped sample", settings)
	}
	for i, l := range strings.Split(sample, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") && !regexp.MustCompile(`^\[\w+\]$`).MatchString(l) {
			t.Errorf("%s:%d is not commented out: %s", settings, i+1, l)
		}
	}

	// The instance's floppy, a fake root for osc and the controller, on
	// loopback. The web port comes from the environment for this first
	// start only: 8080 may be taken on the test machine.
	s := &sandbox{
		dir: t.TempDir(), tree: tree, root: filepath.Join(root, "sysroot"), interval: time.Second,
		webPort: freePort(t), websshPort: freePort(t), clcPort: freePort(t), websshStatus: "enable", bin: filepath.Join(tree, "bin"),
	}
	s.floppy = filepath.Join(s.dir, "floppy.img")
	mustMkdir(t, filepath.Join(s.root, "etc"))
	mustMkdir(t, filepath.Join(s.root, "root"))
	mustWrite(t, filepath.Join(s.root, "etc/shadow"), "root:*:19000:0:99999:7:::\n", 0o640)
	mustWrite(t, filepath.Join(s.dir, "luoyun.ini"), s.ini(), 0o644)
	if out, err := exec.Command(filepath.Join(s.bin, "floppyconf"), "--make", s.floppy, "-i", filepath.Join(s.dir, "luoyun.ini")).CombinedOutput(); err != nil {
		t.Fatalf("floppyconf --make: %v\n%s", err, out)
	}
	s.clc = startSimulator(t, filepath.Join(s.bin, "osm"), s.clcPort)
	t.Cleanup(func() { s.osmanager(t, "stop") })
	env := s.env()
	if r := runScript(t, append(env, "LUOYUN_WEB_PORT="+strconv.Itoa(s.webPort)), filepath.Join(tree, "osmanager.sh"), "start"); r.code != 0 {
		t.Fatalf("osmanager.sh start = exit %d:\n%s", r.code, r.out)
	}

	// The README: set the port in custom/osmanager.toml, restart web.
	port := freePort(t)
	edited := strings.Replace(sample, "# port = 8080\n", fmt.Sprintf("port = %d\n", port), 1)
	if edited == sample {
		t.Fatalf("the sample has no %q line to uncomment", "# port = 8080")
	}
	mustWrite(t, settings, edited, 0o644)
	r = s.osmanager(t, "restart", "web")
	if r.code != 0 || !strings.Contains(r.out, fmt.Sprintf("listening 127.0.0.1:%d", port)) {
		t.Fatalf("osmanager.sh restart web = exit %d, want web listening on %d:\n%s", r.code, port, r.out)
	}
	if strings.Contains(r.out, "settings:") {
		t.Errorf("restart web reports a settings problem:\n%s", r.out)
	}
	st := s.osmanager(t, "status")
	if st.code != 0 || !regexp.MustCompile(`(?m)^\s*web\b.*127\.0\.0\.1:`+strconv.Itoa(port)).MatchString(st.out) {
		t.Errorf("status = exit %d, want web on 127.0.0.1:%d:\n%s", st.code, port, st.out)
	}
	if regexp.MustCompile(`(?m)^settings:`).MatchString(st.out) {
		t.Errorf("status reports a settings problem:\n%s", st.out)
	}
	js := s.osmanager(t, "status", "--json")
	var doc struct {
		Daemons []struct {
			Name   string
			Listen []string
		}
		SettingsProblems []string `json:"settings_problems"`
	}
	if err := json.Unmarshal([]byte(js.out), &doc); err != nil {
		t.Fatalf("status --json: %v\n%s", err, js.out)
	}
	var listen []string
	for _, d := range doc.Daemons {
		if d.Name == "web" {
			listen = d.Listen
		}
	}
	if want := fmt.Sprintf("127.0.0.1:%d", port); len(listen) != 1 || listen[0] != want || len(doc.SettingsProblems) > 0 {
		t.Errorf("status --json: web listening on %q (want %s), settings problems %q:\n%s", listen, want, doc.SettingsProblems, js.out)
	}
	if body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); !strings.Contains(body, "<") {
		t.Errorf("the page on the new port:\n%s", body)
	}
}
