package integration

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// logShape is the one line shape of every log line.
var logShape = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[(DEBUG|INFO|WARN|ERROR)\] \S`)

// checkLogShape fails for any line of the file not in the log's shape.
func checkLogShape(t *testing.T, path string) {
	t.Helper()
	for i, l := range strings.Split(strings.TrimRight(readFile(t, path), "\n"), "\n") {
		if !logShape.MatchString(l) {
			t.Errorf("%s line %d is not in the log's shape: %q", filepath.Base(path), i+1, l)
		}
	}
}

// TestStartTellsTruth: a daemon that fails at once is reported failed
// with its error line, start exits 1, the others are started once up
// (with their listen address), every line of osmanager.log has the log's
// shape (the daemons' own output goes to run/NAME.out), run/boot records
// each step, and status gives the failed daemon's reason.
func TestStartTellsTruth(t *testing.T) {
	for _, sh := range shells(t) {
		t.Run(shellName(sh), func(t *testing.T) {
			tree := fakeTree(t)
			argv := append(append([]string{}, sh...), filepath.Join(tree, "osmanager.sh"), "start")
			r := runScript(t, []string{"LUOYUN_DIR=" + tree, "LUOYUN_ROOT=" + t.TempDir(), "FAKE_FAIL=", "FAKE_DIE=webssh"}, argv...)
			if r.code != 1 {
				t.Errorf("start with webssh failing = exit %d, want 1:\n%s", r.code, r.out)
			}
			for _, w := range []string{
				"[ERROR] webssh: failed: cannot listen: no luck (exit 1)",
				"[INFO] web: started (pid " + strconv.Itoa(readPid(t, tree, "web")) + ", listening 127.0.0.1:1web)",
				"[INFO] osm: started (pid " + strconv.Itoa(readPid(t, tree, "osm")) + ")",
				"[ERROR] osmanager: started, with failures",
			} {
				if !strings.Contains(r.out, w) {
					t.Errorf("start output lacks %q:\n%s", w, r.out)
				}
			}
			if strings.Contains(r.out, "webssh: started") {
				t.Errorf("start says the failed webssh started:\n%s", r.out)
			}
			checkLogShape(t, filepath.Join(tree, "log/osmanager.log"))
			boot := readFile(t, filepath.Join(tree, "run/boot"))
			for _, re := range []string{`(?m)^boot \d{13} started `, `(?m)^floppy \d{13} ok updated$`, `(?m)^osc \d{13} ok done$`,
				`(?m)^config \d{13} skipped `, `(?m)^web \d{13} ok started \(pid \d+, listening 127.0.0.1:1web\)$`,
				`(?m)^webssh \d{13} failed cannot listen: no luck \(exit 1\)$`, `(?m)^osm \d{13} ok started`, `(?m)^boot \d{13} failed `} {
				if !regexp.MustCompile(re).MatchString(boot) {
					t.Errorf("run/boot lacks %s:\n%s", re, boot)
				}
			}
			checkStatus(t, tree, 3, "web: running (pid ", "osm: running (pid ",
				"webssh: not running (last output: webssh: cannot listen: no luck)", "  webssh  ", "failed   cannot listen: no luck (exit 1)")
		})
	}
}

// TestStartPortTaken: the real web cannot listen (its port is taken):
// start says so with web's own error and exits 1; status says web does
// not run and why.
func TestStartPortTaken(t *testing.T) {
	s := newSandbox(t, 300*time.Millisecond)
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", s.webPort))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r := s.osmanager(t, "start")
	if r.code != 1 {
		t.Errorf("start with web's port taken = exit %d, want 1:\n%s", r.code, r.out)
	}
	if !regexp.MustCompile(`\[ERROR\] web: failed: .*address already in use.* \(exit 1\)`).MatchString(r.out) || strings.Contains(r.out, "web: started") {
		t.Errorf("start output does not say web failed with its reason:\n%s", r.out)
	}
	if strings.Contains(r.out, "failed: web:") {
		t.Errorf("web's own prefix repeated after failed:\n%s", r.out)
	}
	for _, w := range []string{"[INFO] webssh: started (pid ", fmt.Sprintf("listening 127.0.0.1:%d)", s.websshPort), "[INFO] osm: started (pid "} {
		if !strings.Contains(r.out, w) {
			t.Errorf("start output lacks %q:\n%s", w, r.out)
		}
	}
	checkLogShape(t, filepath.Join(s.tree, "log/osmanager.log"))
	st := s.osmanager(t, "status")
	if st.code != 3 || !regexp.MustCompile(`web: not running \(last output: .*address already in use`).MatchString(st.out) {
		t.Errorf("status = exit %d, want 3 and web's reason:\n%s", st.code, st.out)
	}
}

// statusJSON is what the tests read of status --json.
type statusJSON struct {
	Dir  string `json:"dir"`
	Boot *struct {
		Outcome string `json:"outcome"`
		Steps   []struct {
			Name, Outcome, Message string
			At                     time.Time
		} `json:"steps"`
	} `json:"boot"`
	Daemons []struct {
		Name          string   `json:"name"`
		Running       bool     `json:"running"`
		PID           int      `json:"pid"`
		UptimeSeconds int64    `json:"uptime_seconds"`
		Started       string   `json:"started"`
		Listen        []string `json:"listen"`
		LastOutput    string   `json:"last_output"`
	} `json:"daemons"`
	OSM *struct {
		State          string `json:"state"`
		Controller     string `json:"controller"`
		Tag            int    `json:"tag"`
		LastReport     int    `json:"last_report"`
		LastReportText string `json:"last_report_text"`
		LastReportAt   string `json:"last_report_at"`
		Status         int    `json:"status"`
		StatusOutput   string `json:"status_output"`
	} `json:"osm"`
	Notes []string `json:"notes"`
}

func (s *sandbox) statusJSON(t *testing.T) (statusJSON, int) {
	t.Helper()
	r := s.osmanager(t, "status", "--json")
	var st statusJSON
	if err := json.Unmarshal([]byte(r.out), &st); err != nil {
		t.Fatalf("status --json is not JSON (exit %d): %v\n%s", r.code, err, r.out)
	}
	return st, r.code
}

// TestStatusReport: status and status --json on a healthy sandbox, with
// osm killed (the state file still says registered; status and the page
// say stopped), and with a failing status script (the report and the
// script's output).
func TestStatusReport(t *testing.T) {
	s := newSandbox(t, 200*time.Millisecond)
	if r := s.osmanager(t, "start"); r.code != 0 {
		t.Fatalf("start = exit %d:\n%s", r.code, r.out)
	}
	if _, _, ok := s.clc.wait(0, 10*time.Second, fmt.Sprintf("report tag=%d status=2000", e2eTag)); !ok {
		t.Fatal("no report 2000")
	}
	// osm writes its state just after the report.
	waitFor(5*time.Second, func() bool {
		return strings.Contains(readFile(t, filepath.Join(s.tree, "run/osm.json")), `"last_report": 2000`)
	})
	clc := fmt.Sprintf("127.0.0.1:%d", s.clcPort)

	t.Run("healthy", func(t *testing.T) {
		r := s.osmanager(t, "status")
		if r.code != 0 {
			t.Errorf("status = exit %d, want 0:\n%s", r.code, r.out)
		}
		for _, w := range []string{"boot: started ", ": ok, finished ", "floppy ", "osc ", "config ", " skipped ",
			"web: running (pid " + strconv.Itoa(s.pid(t, "web")) + ", up ", fmt.Sprintf("listening 127.0.0.1:%d", s.webPort),
			"webssh: running (pid " + strconv.Itoa(s.pid(t, "webssh")), fmt.Sprintf("listening 127.0.0.1:%d", s.websshPort),
			"osm: running (pid " + strconv.Itoa(s.pid(t, "osm")), "osm state: registered since ", "controller " + clc, "TAG 42",
			"osm last report: 2000 (application running) at ", "status script: 2000 since "} {
			if !strings.Contains(r.out, w) {
				t.Errorf("status lacks %q:\n%s", w, r.out)
			}
		}
		st, code := s.statusJSON(t)
		if code != 0 || st.Dir != s.tree || st.Boot == nil || st.Boot.Outcome != "ok" || st.OSM == nil {
			t.Fatalf("status --json = exit %d, %+v", code, st)
		}
		var steps []string
		for _, x := range st.Boot.Steps {
			steps = append(steps, x.Name+" "+x.Outcome)
		}
		if len(steps) == 6 {
			slices.Sort(steps[3:]) // the daemons start together: in the order they became ready
		}
		if want := []string{"floppy ok", "osc ok", "config skipped", "osm ok", "web ok", "webssh ok"}; !slices.Equal(steps, want) {
			t.Errorf("boot steps = %q, want %q", steps, want)
		}
		for i, name := range []string{"web", "webssh", "osm"} {
			d := st.Daemons[i]
			if d.Name != name || !d.Running || d.PID != s.pid(t, name) || d.Started == "" {
				t.Errorf("daemon %d = %+v, want %s running with pid %d", i, d, name, s.pid(t, name))
			}
		}
		if l := st.Daemons[0].Listen; len(l) != 1 || l[0] != fmt.Sprintf("127.0.0.1:%d", s.webPort) {
			t.Errorf("web listens on %q", l)
		}
		if o := st.OSM; o.State != "registered" || o.Controller != clc || o.Tag != e2eTag || o.LastReport != 2000 || o.LastReportText != "application running" || o.LastReportAt == "" || o.Status != 2000 {
			t.Errorf("osm = %+v", o)
		}
	})

	t.Run("failing status script", func(t *testing.T) {
		mustWrite(t, filepath.Join(s.tree, "custom/scripts/status"), "#!/bin/sh\necho \"database down: connection refused\"\nexit 3\n", 0o755)
		if _, _, ok := s.clc.wait(0, 10*time.Second, fmt.Sprintf("report tag=%d status=2003", e2eTag)); !ok {
			t.Fatal("no report 2003")
		}
		var st statusJSON
		if !waitFor(5*time.Second, func() bool { st, _ = s.statusJSON(t); return st.OSM != nil && st.OSM.LastReport == 2003 }) {
			t.Fatalf("status --json osm = %+v, want last report 2003", st.OSM)
		}
		if o := st.OSM; o.Status != 2003 || o.StatusOutput != "database down: connection refused" || o.LastReportText != "application not serving (status script exit 3)" {
			t.Errorf("osm = %+v", o)
		}
		r := s.osmanager(t, "status")
		for _, w := range []string{"osm last report: 2003 (application not serving (status script exit 3))", "status script: 2003 since ", "output: database down: connection refused"} {
			if !strings.Contains(r.out, w) {
				t.Errorf("status lacks %q:\n%s", w, r.out)
			}
		}
		// The page re-reads the state file at most a second later.
		var body string
		if !waitFor(5*time.Second, func() bool {
			body = httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/?cookie=%s", s.webPort, e2eCookie))
			return strings.Contains(body, "2003 · application not serving (status script exit 3)")
		}) {
			t.Errorf("page lacks the application status:\n%s", body)
		}

	})

	t.Run("osm killed", func(t *testing.T) {
		pid := s.pid(t, "osm")
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		waitFor(5*time.Second, func() bool { return !running(pid) })
		if got := readFile(t, filepath.Join(s.tree, "run/osm.json")); !strings.Contains(got, `"state": "registered"`) {
			t.Fatalf("osm.json after SIGKILL = %s; the test expects the stale registered state", got)
		}
		r := s.osmanager(t, "status")
		if r.code != 3 || !strings.Contains(r.out, "osm: not running") || !strings.Contains(r.out, "osm state: stopped") || strings.Contains(r.out, "registered") {
			t.Errorf("status with osm killed = exit %d:\n%s", r.code, r.out)
		}
		st, code := s.statusJSON(t)
		if code != 3 || st.OSM == nil || st.OSM.State != "stopped" || st.Daemons[2].Running || !st.Daemons[0].Running {
			t.Errorf("status --json with osm killed = exit %d, %+v", code, st)
		}
		// The page re-reads the state within a second.
		var body string
		if !waitFor(5*time.Second, func() bool {
			body = httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/?cookie=%s", s.webPort, e2eCookie))
			return strings.Contains(body, `id="osm">stopped`)
		}) || strings.Contains(body, "registered") {
			t.Errorf("page with osm killed does not say stopped:\n%s", body)
		}
	})

	t.Run("osm cannot start", func(t *testing.T) {
		mustWrite(t, filepath.Join(s.tree, "conf/luoyun.conf"), "TAG=nope\n", 0o600)
		r := s.osmanager(t, "start", "osm")
		if r.code != 1 || !strings.Contains(r.out, "[ERROR] osm: failed: ") || strings.Contains(r.out, "osm: started") {
			t.Errorf("start osm with a broken luoyun.conf = exit %d, want 1 and failed:\n%s\nosm.out: %s\nconf: %q", r.code, r.out,
				readFile(t, filepath.Join(s.tree, "run/osm.out")), readFile(t, filepath.Join(s.tree, "conf/luoyun.conf")))
		}
		// osm rewrote its state file: no longer "registered".
		if got := readFile(t, filepath.Join(s.tree, "run/osm.json")); !strings.Contains(got, `"state": "stopped"`) {
			t.Errorf("osm.json after a failed start = %s", got)
		}
		st := s.osmanager(t, "status", "osm")
		if st.code != 3 || !strings.Contains(st.out, "osm: not running (last output: ") || !strings.Contains(st.out, "osm state: stopped") {
			t.Errorf("status osm = exit %d:\n%s", st.code, st.out)
		}
	})
}

// TestFirstReportIs2000: at boot the first report of a healthy appliance
// is 2000, never a 2001 sent before web listens, even when web is slow to
// come up (here it waits half a second before it starts, as on a loaded
// boot); three first boots.
func TestFirstReportIs2000(t *testing.T) {
	s := newSandbox(t, 5*time.Second)
	// bin/web waits, then runs the real web (whose path still ends in
	// bin/web, as osmanager.sh checks).
	real := filepath.Join(s.dir, "real/bin/web")
	mustMkdir(t, filepath.Dir(real))
	if err := os.Rename(filepath.Join(s.tree, "bin/web"), real); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(s.tree, "bin/web"), "#!/bin/sh\nsleep 0.5\nexec "+real+" \"$@\"\n", 0o755)
	for i := range 3 {
		s.osmanager(t, "stop")
		os.Remove(filepath.Join(s.tree, "conf/luoyun.conf"))
		m := s.clc.mark()
		if r := s.osmanager(t, "start"); r.code != 0 {
			t.Fatalf("boot %d: start = exit %d:\n%s", i, r.code, r.out)
		}
		_, ev, ok := s.clc.wait(m, 10*time.Second, fmt.Sprintf("report tag=%d ", e2eTag))
		if !ok {
			t.Fatalf("boot %d: no report", i)
		}
		if ev.text != fmt.Sprintf("report tag=%d status=2000", e2eTag) {
			t.Errorf("boot %d: first report %q, want status=2000; luoyun.log:\n%s", i, ev.text, readFile(t, filepath.Join(s.tree, "log/luoyun.log")))
		}
	}
}

// TestStatusProbesOutOfAccessLog: the status script's requests, one per
// status_interval, do not fill lyweb.log: after 30 of them it holds a
// handful of lines (today: one per request).
func TestStatusProbesOutOfAccessLog(t *testing.T) {
	s := newSandbox(t, 100*time.Millisecond)
	// The shipped script, counting its runs.
	shipped := filepath.Join(s.tree, "custom/scripts/status.shipped")
	if err := os.Rename(filepath.Join(s.tree, "custom/scripts/status"), shipped); err != nil {
		t.Fatal(err)
	}
	runs := filepath.Join(s.dir, "runs")
	mustWrite(t, filepath.Join(s.tree, "custom/scripts/status"), "#!/bin/sh\necho run >>"+runs+"\nexec "+shipped+"\n", 0o755)
	if r := s.osmanager(t, "start"); r.code != 0 {
		t.Fatalf("start = exit %d:\n%s", r.code, r.out)
	}
	if !waitFor(30*time.Second, func() bool {
		data, _ := os.ReadFile(runs)
		return strings.Count(string(data), "\n") >= 30
	}) {
		t.Fatalf("the status script did not run 30 times")
	}
	if _, _, ok := s.clc.wait(0, 5*time.Second, fmt.Sprintf("report tag=%d status=2000", e2eTag)); !ok {
		t.Fatal("no report 2000: the probes did not reach the page")
	}
	s.osmanager(t, "stop", "web") // flushes the access log
	log := readFile(t, filepath.Join(s.tree, "log/lyweb.log"))
	if n := strings.Count(log, "\n"); n > 8 {
		t.Errorf("lyweb.log has %d lines after 30 status runs, want a handful:\n%s", n, log)
	}
}
