package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestEndToEnd runs the whole chain in a sandbox, as an instance boots:
// floppy image -> luoyun.conf -> osc's edits under the sandbox root ->
// the page served with the floppy's host name and build/VERSION's
// versions -> the web shell answers -> osm registered with the simulator
// and reporting 2000 (the shipped status script checking the running page
// server). Then per-component restarts: osm killed and started again
// re-registers; web stopped makes the report non-2000 within one
// status interval; web started again brings it back to 2000.
func TestEndToEnd(t *testing.T) {
	interval := 300 * time.Millisecond
	s := newSandbox(t, interval)

	start := time.Now()
	r := s.osmanager(t, "start")
	bootScript := time.Since(start)
	if r.code != 0 {
		t.Fatalf("osmanager.sh start = exit %d:\n%s", r.code, r.out)
	}
	_, reg, ok := s.clc.wait(0, 10*time.Second, fmt.Sprintf("registered tag=%d ip=127.0.0.1 ", e2eTag))
	if !ok {
		t.Fatalf("no registration; osmanager.sh said:\n%s\nosm log:\n%s", r.out, readFile(t, filepath.Join(s.tree, "log/luoyun.log")))
	}
	bootToRegistered := reg.at.Sub(start)
	if _, _, ok := s.clc.wait(0, 5*time.Second, fmt.Sprintf("auth ok tag=%d ", e2eTag)); !ok {
		t.Errorf("no auth ok line before the registration")
	}
	_, rep, ok := s.clc.wait(0, 10*time.Second, fmt.Sprintf("report tag=%d status=2000", e2eTag))
	if !ok {
		t.Fatalf("no report 2000; status script said:\n%s", readFile(t, filepath.Join(s.tree, "log/luoyun.log")))
	}
	rss := map[string]int{}
	total := 0
	for _, n := range []string{"osm", "web", "webssh"} {
		rss[n] = rssKB(t, s.pid(t, n))
		total += rss[n]
	}
	t.Logf("osmanager.sh start returned after %v; boot to registered %v, to report 2000 %v", bootScript.Round(time.Millisecond),
		bootToRegistered.Round(time.Millisecond), rep.at.Sub(start).Round(time.Millisecond))
	t.Logf("RSS after boot: osm %d KiB, web %d KiB, webssh %d KiB, together %.1f MB", rss["osm"], rss["web"], rss["webssh"], float64(total)*1024/1e6)

	t.Run("steps logged", func(t *testing.T) {
		log := readFile(t, filepath.Join(s.tree, "log/osmanager.log"))
		for _, w := range []string{"[INFO] floppy: updated", "[INFO] osc: passwd_hash: changed", "[INFO] osc: public_key: changed",
			"[INFO] osc: nameservers: changed", "[INFO] osc: network: skipped", "[INFO] osc: done",
			"[INFO] config: skipped", "[INFO] web: started", "[INFO] webssh: started", "[INFO] osm: started", "[INFO] osmanager: started"} {
			if !strings.Contains(r.out, w) || !strings.Contains(log, w) {
				t.Errorf("stdout or osmanager.log lacks %q:\nstdout:\n%s\nlog:\n%s", w, r.out, log)
			}
		}
	})

	t.Run("floppy to luoyun.conf", func(t *testing.T) {
		conf := filepath.Join(s.tree, "conf/luoyun.conf")
		if got := readFile(t, conf); got != s.ini() {
			t.Errorf("luoyun.conf = %q, want the floppy's luoyun.ini %q", got, s.ini())
		}
		if info, err := os.Stat(conf); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("luoyun.conf mode = %v, %v; want 0600", info.Mode(), err)
		}
	})

	t.Run("osc edits under the sandbox root", func(t *testing.T) {
		if got, want := readFile(t, filepath.Join(s.root, "etc/shadow")), "root:"+e2eHash+":19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"; got != want {
			t.Errorf("shadow = %q, want %q", got, want)
		}
		if info, err := os.Stat(filepath.Join(s.root, "etc/shadow")); err != nil || info.Mode().Perm() != 0o640 {
			t.Errorf("shadow mode = %v, %v; want 0640 kept", info.Mode(), err)
		}
		if got := readFile(t, filepath.Join(s.root, "etc/resolv.conf")); !strings.Contains(got, "nameserver 192.0.2.53\nnameserver 192.0.2.54\n") {
			t.Errorf("resolv.conf = %q", got)
		}
		if got := readFile(t, filepath.Join(s.root, "root/.ssh/authorized_keys")); strings.TrimSpace(got) != e2ePubKey {
			t.Errorf("authorized_keys = %q, want %q", got, e2ePubKey)
		}
	})

	t.Run("page", func(t *testing.T) {
		base := fmt.Sprintf("http://127.0.0.1:%d/", s.webPort)
		for _, tt := range []struct{ url, want string }{
			{base, e2eDomain},
			{base, "3.1.4"},
			{base, "2.7.1"},
			{base, "E2EApp"},
			{base + "?cookie=" + e2eCookie, e2eDomain},
			{base + "?cookie=" + e2eCookie, fmt.Sprintf("%s:%d", e2eDomain, s.websshPort)},
			{base + "?cookie=" + e2eCookie, "2.7.1"},
		} {
			body := httpGet(t, tt.url)
			if !strings.Contains(body, tt.want) {
				t.Errorf("GET %s lacks %q:\n%s", tt.url, tt.want, body)
			}
		}
	})

	t.Run("web shell", func(t *testing.T) {
		// Started in the background like the others, it may still be
		// starting: poll until it answers.
		waitAnswers(t, s.websshPort)
		if body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", s.websshPort)); !strings.Contains(strings.ToLower(body), "<html") {
			t.Errorf("web shell page is not HTML:\n%s", body)
		}
		checkTerminal(t, s.websshPort)
	})

	t.Run("state file", func(t *testing.T) {
		type state struct {
			State      string `json:"state"`
			Tag        int    `json:"tag"`
			LastReport int    `json:"last_report"`
		}
		var st state
		path := filepath.Join(s.tree, "run/osm.json")
		// osm writes the file just after sending the report: poll.
		ok := waitFor(5*time.Second, func() bool {
			st = state{}
			data, err := os.ReadFile(path)
			return err == nil && json.Unmarshal(data, &st) == nil && st.State == "registered" && st.Tag == e2eTag && st.LastReport == 2000
		})
		if !ok {
			t.Errorf("osm.json = %+v, want registered, tag %d, last report 2000", st, e2eTag)
		}
		if strings.Contains(readFile(t, path), e2eKey) {
			t.Errorf("osm.json holds the KEY")
		}
	})

	t.Run("osm killed and restarted re-registers", func(t *testing.T) {
		pid := s.pid(t, "osm")
		m := s.clc.mark()
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if _, _, ok := s.clc.wait(m, 5*time.Second, fmt.Sprintf("disconnected tag=%d ", e2eTag)); !ok {
			t.Fatalf("simulator saw no disconnect after osm was killed")
		}
		if !waitFor(5*time.Second, func() bool { return !running(pid) }) {
			t.Fatalf("osm (pid %d) still runs", pid)
		}
		checkStatusOf(t, s, 3, "osm: not running")
		m = s.clc.mark()
		if r := s.osmanager(t, "start", "osm"); r.code != 0 || !strings.Contains(r.out, "osm: started") {
			t.Fatalf("osmanager.sh start osm = exit %d:\n%s", r.code, r.out)
		}
		if _, _, ok := s.clc.wait(m, 10*time.Second, fmt.Sprintf("registered tag=%d ", e2eTag)); !ok {
			t.Fatalf("restarted osm did not re-register")
		}
		if _, _, ok := s.clc.wait(m, 10*time.Second, fmt.Sprintf("report tag=%d status=2000", e2eTag)); !ok {
			t.Fatalf("restarted osm did not report 2000")
		}
		if s.pid(t, "osm") == pid {
			t.Errorf("osm pid unchanged after restart")
		}
	})

	t.Run("web stopped and started", func(t *testing.T) {
		m := s.clc.mark()
		stopped := time.Now()
		if r := s.osmanager(t, "stop", "web"); r.code != 0 || !strings.Contains(r.out, "web: stopped") {
			t.Fatalf("osmanager.sh stop web = exit %d:\n%s", r.code, r.out)
		}
		notServing := regexp.MustCompile(fmt.Sprintf(`^report tag=%d status=(20\d\d|21\d\d)$`, e2eTag))
		_, ev, ok := s.clc.waitFunc(m, 10*time.Second, func(l string) bool { return notServing.MatchString(l) && !strings.HasSuffix(l, "=2000") })
		if !ok {
			t.Fatalf("no non-2000 report after web stopped")
		}
		took := ev.at.Sub(stopped)
		t.Logf("web stopped: %q after %v (status_interval %v)", ev.text, took.Round(time.Millisecond), interval)
		if ev.text != fmt.Sprintf("report tag=%d status=2001", e2eTag) {
			t.Errorf("report after web stopped = %q, want status=2001 (nothing answers on the port)", ev.text)
		}
		// One interval, plus the script's own run and the stop's wait;
		// generous for a loaded 2-core CI machine.
		if limit := interval + 2*time.Second; took > limit {
			t.Errorf("non-2000 report came %v after web stopped, want within %v", took, limit)
		}
		m = s.clc.mark()
		if r := s.osmanager(t, "start", "web"); r.code != 0 {
			t.Fatalf("osmanager.sh start web = exit %d:\n%s", r.code, r.out)
		}
		if _, _, ok := s.clc.wait(m, 10*time.Second, fmt.Sprintf("report tag=%d status=2000", e2eTag)); !ok {
			t.Fatalf("no report 2000 after web started again")
		}
	})

	t.Run("stop", func(t *testing.T) {
		pids := []int{s.pid(t, "osm"), s.pid(t, "web"), s.pid(t, "webssh")}
		m := s.clc.mark()
		if r := s.osmanager(t, "stop"); r.code != 0 {
			t.Fatalf("osmanager.sh stop = exit %d:\n%s", r.code, r.out)
		}
		for _, p := range pids {
			if running(p) {
				t.Errorf("pid %d still runs after stop", p)
			}
		}
		if _, _, ok := s.clc.wait(m, 5*time.Second, fmt.Sprintf("disconnected tag=%d ", e2eTag)); !ok {
			t.Errorf("simulator saw no disconnect after stop")
		}
		checkStatusOf(t, s, 3, "web: not running", "webssh: not running", "osm: not running")
	})
}

func checkStatusOf(t *testing.T, s *sandbox, code int, want ...string) {
	t.Helper()
	r := s.osmanager(t, "status")
	if r.code != code {
		t.Errorf("osmanager.sh status = exit %d, want %d:\n%s", r.code, code, r.out)
	}
	for _, w := range want {
		if !strings.Contains(r.out, w) {
			t.Errorf("osmanager.sh status lacks %q:\n%s", w, r.out)
		}
	}
}

// checkTerminal opens a terminal session over the websocket, sees the
// configured command's greeting, types a line and sees it echoed.
func checkTerminal(t *testing.T, port int) {
	t.Helper()
	readUntil, send := dialTerminal(t, port)
	readUntil(e2eShellMsg)
	send("typed-in-e2e\r")
	readUntil("typed-in-e2e")
}

// dialTerminal opens a terminal session over webssh's websocket on
// 127.0.0.1:port. readUntil reads the output until it holds want (20 s at
// most, for the whole session) and drops it and what came before; send
// types in.
func dialTerminal(t *testing.T, port int) (readUntil, send func(string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	origin := fmt.Sprintf("http://127.0.0.1:%d", port)
	ws, resp, err := websocket.DefaultDialer.DialContext(ctx, fmt.Sprintf("ws://127.0.0.1:%d/ws", port), http.Header{"Origin": {origin}})
	if err != nil {
		if resp != nil {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("websocket: %v (%s: %s)", err, resp.Status, b)
		}
		t.Fatalf("websocket: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	var out bytes.Buffer
	readUntil = func(want string) {
		t.Helper()
		for !strings.Contains(out.String(), want) {
			typ, data, err := ws.ReadMessage()
			if err != nil {
				t.Fatalf("terminal output %q, waiting for %q: %v", out.String(), want, err)
			}
			if typ == websocket.BinaryMessage {
				out.Write(data)
			}
		}
		rest := out.String()[strings.Index(out.String(), want)+len(want):]
		out.Reset()
		out.WriteString(rest) // what came after want is for the next call
	}
	send = func(in string) {
		t.Helper()
		if err := ws.WriteMessage(websocket.BinaryMessage, append([]byte{'i'}, in...)); err != nil {
			t.Fatal(err)
		}
	}
	return readUntil, send
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	return string(b)
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

var _ = strconv.Itoa

// TestEndToEndFloppyFailures boots the real chain without a readable
// floppy: with a luoyun.conf from an earlier boot it goes on with it and
// registers; with none (and a floppy without luoyun.ini), the page and the web terminal still serve and osm
// is skipped, and the start reports the failure.
func TestEndToEndFloppyFailures(t *testing.T) {
	t.Run("garbage floppy, existing conf", func(t *testing.T) {
		s := newSandbox(t, 300*time.Millisecond)
		mustMkdir(t, filepath.Join(s.tree, "conf"))
		mustWrite(t, filepath.Join(s.tree, "conf/luoyun.conf"), s.ini(), 0o600)
		mustWrite(t, s.floppy, strings.Repeat("not a FAT image ", 100), 0o644)
		r := s.osmanager(t, "start")
		if r.code != 0 || !strings.Contains(r.out, "[WARN] floppy: failed") || !strings.Contains(r.out, "going on with the existing") {
			t.Fatalf("osmanager.sh start = exit %d, want 0 and a warning:\n%s", r.code, r.out)
		}
		if _, _, ok := s.clc.wait(0, 10*time.Second, fmt.Sprintf("report tag=%d status=2000", e2eTag)); !ok {
			t.Fatalf("no report 2000 with the existing luoyun.conf")
		}
		if got := readFile(t, filepath.Join(s.tree, "conf/luoyun.conf")); got != s.ini() {
			t.Errorf("luoyun.conf changed by a failed floppy read: %q", got)
		}
	})
	t.Run("empty floppy, no conf", func(t *testing.T) {
		s := newSandbox(t, 300*time.Millisecond)
		// An empty "mounted floppy" directory: no luoyun.ini. (A missing
		// path would make floppyconf run modprobe floppy on this machine.)
		os.Remove(s.floppy)
		mustMkdir(t, s.floppy)
		r := s.osmanager(t, "start")
		if r.code != 1 {
			t.Errorf("osmanager.sh start = exit %d, want 1:\n%s", r.code, r.out)
		}
		for _, w := range []string{"[ERROR] floppy: failed", "[ERROR] osc: skipped", "[ERROR] osm: skipped", "[INFO] web: started", "[INFO] webssh: started"} {
			if !strings.Contains(r.out, w) {
				t.Errorf("output lacks %q:\n%s", w, r.out)
			}
		}
		var body string
		if !waitFor(10*time.Second, func() bool {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", s.webPort))
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			body = string(b)
			return resp.StatusCode == 200
		}) {
			t.Fatalf("the page does not answer without luoyun.conf; log:\n%s", readFile(t, filepath.Join(s.tree, "log/osmanager.log")))
		}
		if !strings.Contains(body, "3.1.4") {
			t.Errorf("page without luoyun.conf lacks the version:\n%s", body)
		}
		waitAnswers(t, s.websshPort)
		checkStatusOf(t, s, 3, "web: running", "webssh: running", "osm: not running")
		if n := len(s.clc.texts()); n != 1 {
			t.Errorf("simulator saw %d lines, want only its listening line: %v", n, s.clc.texts())
		}
	})
}

// waitAnswers waits up to 10 s for an HTTP 200 from / on port.
func waitAnswers(t *testing.T, port int) {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	if !waitFor(10*time.Second, func() bool {
		resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}) {
		t.Fatalf("nothing answers on port %d", port)
	}
}

// TestEndToEndWebSSHDisabled: when the cloud disables the web terminal
// (JSON webssh.status "disable"), the chain starts the other two, the
// terminal says so in osmanager.log and exits, and nothing listens on its
// port.
func TestEndToEndWebSSHDisabled(t *testing.T) {
	s := newSandbox(t, 300*time.Millisecond, func(s *sandbox) { s.websshStatus = "disable" })
	if r := s.osmanager(t, "start"); r.code != 0 {
		t.Fatalf("osmanager.sh start = exit %d:\n%s", r.code, r.out)
	}
	if _, _, ok := s.clc.wait(0, 10*time.Second, fmt.Sprintf("report tag=%d status=2000", e2eTag)); !ok {
		t.Fatalf("no report 2000")
	}
	if !waitFor(10*time.Second, func() bool {
		return strings.Contains(readFile(t, filepath.Join(s.tree, "log/osmanager.log")), "web ssh disabled")
	}) {
		t.Errorf("osmanager.log lacks %q:\n%s", "web ssh disabled", readFile(t, filepath.Join(s.tree, "log/osmanager.log")))
	}
	// It exits right after saying so.
	waitFor(5*time.Second, func() bool { return strings.Contains(s.osmanager(t, "status", "webssh").out, "not running") })
	checkStatusOf(t, s, 3, "web: running", "osm: running", "webssh: not running")
	if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", s.websshPort)); err == nil {
		resp.Body.Close()
		t.Errorf("something answers on the disabled terminal's port: %s", resp.Status)
	}
}
