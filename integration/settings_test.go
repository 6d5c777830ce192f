package integration

import (
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSettingsMistakeStaysInItsSection (issue #14.1): a mistake in one
// section of custom/osmanager.toml stops only the component that uses the
// section; the boot chain (floppy, osc) never stops for it.
func TestSettingsMistakeStaysInItsSection(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the chain six times")
	}
	tests := []struct {
		name    string
		section string // the header the mistake goes under ("" for a file that is not TOML)
		line    string
		down    []string // components that must refuse
		says    string   // what osmanager.log must hold
		saysAt  []string // other files of the tree that must hold it too
		warns   []string // components whose [WARN] line in osmanager.log must hold it
	}{
		{"webssh", "[webssh]", "max_sesions = 3", []string{"webssh"}, "[webssh] max_sesions: unknown key; did you mean max_sessions?", nil, nil},
		{"web", "[web]", "procs = -1", []string{"web"}, "[web] procs: must be at least 0, got -1", nil, nil},
		{"osm", "[osm]", `status_intervall = "5s"`, []string{"osm"}, "[osm] status_intervall: unknown key; did you mean status_interval?", nil, nil},
		{"log", "[log]", "max_size_mb = 0", []string{"web", "webssh", "osm"}, "[log] max_size_mb: must be at least 1, got 0", nil, nil},
		{"floppy", "[floppy]", `devcie = "/dev/fd1"`, nil, `[floppy] devcie: unknown key; did you mean device?`, nil, nil},
		// A tuning section: the daemons that use it warn (on stderr, which
		// osmanager.sh keeps in run/NAME.out, and osmanager.sh copies the
		// warning into its log) and run with the default.
		{"memory", "[memory]", `trim_interval = "soon"`, nil, `[memory] trim_interval: "soon" is not a duration (write it like "5s" or "1m"); using the default 1m0s`,
			[]string{"run/osm.out", "run/web.out", "run/webssh.out"}, []string{"osm", "web", "webssh"}},
		{"not TOML", "", "[web", []string{"web", "webssh", "osm"}, "not valid TOML", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t, 300*time.Millisecond)
			toml := filepath.Join(s.tree, "custom/osmanager.toml")
			text := readFile(t, toml)
			switch {
			case tt.section == "":
				text += tt.line + "\n"
			case !strings.Contains(text, tt.section+"\n"):
				text += tt.section + "\n" + tt.line + "\n"
			default:
				text = strings.Replace(text, tt.section+"\n", tt.section+"\n"+tt.line+"\n", 1)
			}
			mustWrite(t, toml, text, 0o644)
			s.osmanager(t, "start")

			// The boot chain went through: luoyun.conf, root's password, DNS.
			if got := readFile(t, filepath.Join(s.tree, "conf/luoyun.conf")); got != s.ini() {
				t.Errorf("luoyun.conf = %q, want the floppy's", got)
			}
			if got := readFile(t, filepath.Join(s.root, "etc/shadow")); !strings.HasPrefix(got, "root:"+e2eHash+":") {
				t.Errorf("shadow = %q: osc did not apply the password", got)
			}
			if got := readFile(t, filepath.Join(s.root, "etc/resolv.conf")); !strings.Contains(got, "nameserver 192.0.2.53") {
				t.Errorf("resolv.conf = %q: osc did not apply DNS", got)
			}
			down := map[string]bool{}
			for _, n := range tt.down {
				down[n] = true
			}
			// Those whose sections are fine run.
			if !down["web"] {
				waitAnswers(t, s.webPort)
			}
			if !down["webssh"] {
				waitAnswers(t, s.websshPort)
			}
			if !down["osm"] {
				if _, _, ok := s.clc.wait(0, 10*time.Second, fmt.Sprintf("registered tag=%d ", e2eTag)); !ok {
					t.Errorf("osm did not register")
				}
			}
			// The faulty ones refused, each saying why in one line.
			for _, n := range tt.down {
				if !waitFor(10*time.Second, func() bool { return strings.Contains(s.osmanager(t, "status", n).out, "not running") }) {
					t.Errorf("%s runs despite the mistake in its section", n)
				}
			}
			log := readFile(t, filepath.Join(s.tree, "log/osmanager.log"))
			if !strings.Contains(log, tt.says) {
				t.Errorf("osmanager.log lacks %q:\n%s", tt.says, log)
			}
			for _, n := range tt.warns {
				found := false
				for _, l := range strings.Split(log, "\n") {
					found = found || (strings.Contains(l, " [WARN] "+n+": ") && strings.Contains(l, tt.says))
				}
				if !found {
					t.Errorf("osmanager.log lacks %s's [WARN] line with %q:\n%s", n, tt.says, log)
				}
			}
			for _, f := range tt.saysAt {
				if got := readFile(t, filepath.Join(s.tree, f)); !strings.Contains(got, tt.says) {
					t.Errorf("%s lacks %q:\n%s", f, tt.says, got)
				}
			}
			for _, n := range tt.down {
				found := false
				for _, l := range strings.Split(log, "\n") {
					found = found || (strings.Contains(l, "] "+n+": ") && strings.Contains(l, toml+" line "))
				}
				if tt.section != "" && !found {
					t.Errorf("osmanager.log lacks %s's one line naming %s and the line:\n%s", n, toml, log)
				}
			}
		})
	}
}

// TestWebSSHPortOneRule (issue #13.8): LUOYUN_WEBSSH_PORT reaches webssh
// and the page alike, so the page's terminal link points at the port
// webssh listens on, not at the JSON's.
func TestWebSSHPortOneRule(t *testing.T) {
	s := newSandbox(t, 300*time.Millisecond)
	port := freePort(t)
	r := runScript(t, append(s.env(), fmt.Sprintf("LUOYUN_WEBSSH_PORT=%d", port)), filepath.Join(s.tree, "osmanager.sh"), "start")
	if r.code != 0 {
		t.Fatalf("osmanager.sh start = exit %d:\n%s", r.code, r.out)
	}
	waitAnswers(t, port)
	waitAnswers(t, s.webPort)
	body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/?cookie=%s", s.webPort, e2eCookie))
	if want := fmt.Sprintf("%s:%d", e2eDomain, port); !strings.Contains(body, want) {
		t.Errorf("page lacks %q (the port webssh listens on):\n%s", want, body)
	}
	if old := fmt.Sprintf("%s:%d", e2eDomain, s.websshPort); strings.Contains(body, old) {
		t.Errorf("page shows %q, a port nobody listens on", old)
	}
	if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", s.websshPort)); err == nil {
		resp.Body.Close()
		t.Errorf("something answers on the JSON's port %d", s.websshPort)
	}
}

// TestNodeWithoutConfig (issue #13.5): for an instance without config the
// compute node writes JSON=(null). The chain goes on: luoyun.conf is
// written, osc applies nothing, osm registers with TAG/KEY/CLC_*, web and
// webssh serve, and the bad line is reported with its number.
func TestNodeWithoutConfig(t *testing.T) {
	s := newSandbox(t, 300*time.Millisecond)
	ini := fmt.Sprintf("CLC_IP=127.0.0.1\nCLC_PORT=%d\nCLC_MCAST_IP=228.0.0.1\nCLC_MCAST_PORT=1369\nTAG=%d\nKEY=%s\nJSON=(null)\n", s.clcPort, e2eTag, e2eKey)
	p := filepath.Join(s.dir, "null.ini")
	mustWrite(t, p, ini, 0o600)
	if out, err := exec.Command(filepath.Join(binDir(t), "floppyconf"), "--make", s.floppy, "-i", p).CombinedOutput(); err != nil {
		t.Fatalf("floppyconf --make: %v\n%s", err, out)
	}
	shadow := readFile(t, filepath.Join(s.root, "etc/shadow"))
	r := s.osmanager(t, "start")
	if _, _, ok := s.clc.wait(0, 10*time.Second, fmt.Sprintf("registered tag=%d ", e2eTag)); !ok {
		t.Fatalf("osm did not register:\n%s", r.out)
	}
	if got := readFile(t, filepath.Join(s.tree, "conf/luoyun.conf")); got != ini {
		t.Errorf("luoyun.conf = %q, want the floppy's", got)
	}
	if got := readFile(t, filepath.Join(s.root, "etc/shadow")); got != shadow {
		t.Errorf("osc changed shadow from nothing: %q", got)
	}
	waitAnswers(t, s.webPort)
	waitAnswers(t, s.websshPort)
	for _, w := range []string{"luoyun.ini line 7: JSON: not valid JSON at character 1; nothing from it is applied",
		"osc: passwd_hash: skipped"} {
		if !strings.Contains(r.out, w) {
			t.Errorf("osmanager.sh start does not say %q:\n%s", w, r.out)
		}
	}
}
