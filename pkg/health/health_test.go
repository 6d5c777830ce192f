package health

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	pidfile "github.com/luoyun/osmanager/pkg/daemon"
	"github.com/luoyun/osmanager/pkg/osmstate"
	"github.com/luoyun/osmanager/pkg/procinfo"
)

// TestMain lets the test binary play a daemon: HEALTH_HELPER=listen
// listens on loopback, prints its address and waits.
func TestMain(m *testing.M) {
	if os.Getenv("HEALTH_HELPER") == "listen" {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			os.Exit(1)
		}
		fmt.Println(l.Addr())
		select {}
	}
	os.Exit(m.Run())
}

func TestParseBoot(t *testing.T) {
	t0 := time.UnixMilli(1795458214025)
	rec := "boot 1795458214025 started /LuoYun\n" +
		"floppy 1795458214030 ok updated\n" +
		"osc 1795458214040 failed exit 1: passwd_hash: bad hash\n" +
		"config 1795458214041 skipped no executable /LuoYun/custom/scripts/config\n" +
		"web 1795458214060 ok listening 127.0.0.1:8080 (pid 301)\n" +
		"Bad line\n" +
		"boot 1795458214099 failed 1 step failed\n"
	b, err := ParseBoot([]byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	if !b.Started.Equal(t0) || !b.Finished.Equal(time.UnixMilli(1795458214099)) || b.Outcome != Failed || len(b.Steps) != 4 {
		t.Fatalf("ParseBoot = %+v", b)
	}
	if s := b.Steps[1]; s.Name != "osc" || s.Outcome != Failed || s.Message != "exit 1: passwd_hash: bad hash" || !s.At.Equal(time.UnixMilli(1795458214040)) {
		t.Errorf("step osc = %+v", s)
	}

	// Half-way: the last line is still being written.
	b, err = ParseBoot([]byte("boot 1795458214025 started /LuoYun\nfloppy 1795458214030 ok updated\nosc 17954"))
	if err != nil || len(b.Steps) != 1 || !b.Finished.IsZero() || b.Outcome != "" {
		t.Errorf("ParseBoot(half) = %+v, %v", b, err)
	}
	// A second boot in the same file starts afresh.
	b, _ = ParseBoot([]byte(rec + "boot 1795458300000 started /LuoYun\nfloppy 1795458300001 warning kept the old conf\n"))
	if len(b.Steps) != 1 || b.Steps[0].Outcome != Warning || !b.Finished.IsZero() {
		t.Errorf("ParseBoot(two boots) = %+v", b)
	}
	for _, bad := range []string{"", "garbage\n", "floppy x ok\n", "floppy 1 OK\n", "\n\n"} {
		if _, err := ParseBoot([]byte(bad)); err == nil {
			t.Errorf("ParseBoot(%q) succeeded", bad)
		}
	}
	// Control characters and huge messages are tamed.
	b, _ = ParseBoot([]byte("osc 1 failed a\x1b[31mred\r\n" + "web 2 ok " + strings.Repeat("x", 2000) + "\n"))
	if strings.ContainsRune(b.Steps[0].Message, '\x1b') || len(b.Steps[1].Message) > maxMessage+3 {
		t.Errorf("messages not cleaned: %q / %d bytes", b.Steps[0].Message, len(b.Steps[1].Message))
	}
}

// tree makes a /LuoYun-like tree with run/.
func tree(t *testing.T) string {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "run"), 0o755)
	return dir
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startDaemon runs the test binary as a listening process whose command
// line names bin/NAME, the way osmanager.sh starts the daemons.
func startDaemon(t *testing.T, name string) (pid int, addr string) {
	t.Helper()
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Args[0] = "/LuoYun/bin/" + name
	cmd.Env = append(os.Environ(), "HEALTH_HELPER=listen")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid, strings.TrimSpace(line)
}

// TestCollect: a running daemon with its pid, uptime and listen address;
// a stopped one with its last words; a pid file naming another program;
// an osm.json whose osm is gone reads as stopped.
func TestCollect(t *testing.T) {
	dir := tree(t)
	run := filepath.Join(dir, "run")
	pid, addr := startDaemon(t, "web")
	if err := pidfile.Record(procinfo.Root, filepath.Join(run, "web.pid"), pid); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(run, "webssh.pid"), "1\n") // init, not webssh
	write(t, filepath.Join(run, "webssh.out"), "listening addr=127.0.0.1:8001\nwebssh: listen tcp :8001: bind: address already in use\n")
	write(t, filepath.Join(run, "osm.out"), "running pid=5\n")
	write(t, filepath.Join(run, BootFile), "boot 1000 started "+dir+"\nfloppy 1001 ok updated\n")
	if err := osmstate.Write(filepath.Join(run, "osm.json"), osmstate.State{Phase: osmstate.Registered, Tag: 42, PID: 1 << 22, LastReport: 2000,
		Status: 2001, StatusOutput: "no answer on http://127.0.0.1:8080/"}); err != nil {
		t.Fatal(err)
	}
	r := Collect(Options{Dir: dir})
	if len(r.Daemons) != 3 {
		t.Fatalf("daemons = %+v", r.Daemons)
	}
	web := r.Daemons[0]
	if !web.Running || web.PID != pid || web.Started.IsZero() || len(web.Listen) != 1 || web.Listen[0] != addr {
		t.Errorf("web = %+v, want running pid %d listening %s", web, pid, addr)
	}
	if d := r.Daemons[1]; d.Running || d.PID != 0 || d.LastOutput != "webssh: listen tcp :8001: bind: address already in use" {
		t.Errorf("webssh = %+v, want not running with its last words", d)
	}
	if d := r.Daemons[2]; d.Running || d.LastOutput != "" {
		t.Errorf("osm = %+v, want not running, no last words (only its ready line)", d)
	}
	if r.OSM == nil || r.OSM.State != osmstate.Stopped || r.OSM.LastReport != 2000 || r.OSM.LastReportText != "application running" {
		t.Errorf("osm state = %+v, want stopped (its pid is gone), last report 2000", r.OSM)
	}
	if r.Boot == nil || len(r.Boot.Steps) != 1 || r.AllRunning() {
		t.Errorf("boot = %+v, all running %v", r.Boot, r.AllRunning())
	}
	var text bytes.Buffer
	r.WriteText(&text)
	for _, w := range []string{"boot: started ", "in progress", "floppy ", "web: running (pid " + strconv.Itoa(pid) + ", up ", "listening " + addr,
		"webssh: not running (last output: webssh: listen tcp", "osm: not running\n", "osm state: stopped, TAG 42",
		"osm last report: 2000 (application running)", "status script: 2001 since", "output: no answer on http://127.0.0.1:8080/"} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("text lacks %q:\n%s", w, text.String())
		}
	}
}

// TestCollectHostileFiles: damaged files give notes, and the JSON stays
// well-formed whatever bytes the files hold.
func TestCollectHostileFiles(t *testing.T) {
	dir := tree(t)
	run := filepath.Join(dir, "run")
	write(t, filepath.Join(run, "web.pid"), "not a pid")
	write(t, filepath.Join(run, "osm.json"), "{broken")
	write(t, filepath.Join(run, BootFile), "\xff\xfe\x00garbage")
	write(t, filepath.Join(run, "webssh.out"), "\"quoted\" \xff\x00 \x1b[2J\n")
	r := Collect(Options{Dir: dir})
	if len(r.Notes) < 2 || r.OSM != nil || r.Boot != nil {
		t.Errorf("report = %+v, want notes for the pid file and the state file", r)
	}
	var out bytes.Buffer
	if err := r.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(out.Bytes(), &back); err != nil {
		t.Fatalf("JSON does not parse: %v\n%s", err, out.String())
	}
	for _, k := range []string{"dir", "time", "boot", "daemons", "osm", "notes"} {
		if _, ok := back[k]; !ok {
			t.Errorf("JSON lacks key %q", k)
		}
	}
	var text bytes.Buffer
	r.WriteText(&text)
	if strings.ContainsAny(text.String(), "\x00\x1b") {
		t.Errorf("text holds control characters: %q", text.String())
	}
}

func TestUptime(t *testing.T) {
	for d, want := range map[time.Duration]string{45 * time.Second: "45s", 725 * time.Second: "12m05s", 7380 * time.Second: "2h03m", 100 * time.Hour: "4d04h"} {
		if got := uptime(d); got != want {
			t.Errorf("uptime(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestSettingsProblems: every section's mistakes in the settings file
// are in the report, text and JSON, for as long as they are in the file.
func TestSettingsProblems(t *testing.T) {
	dir := tree(t)
	toml := filepath.Join(dir, "custom", "osmanager.toml")
	os.MkdirAll(filepath.Dir(toml), 0o755)
	write(t, toml, "[osm]\nstatus_intreval = \"5s\"\n[web]\nport = 99999\n")
	r := Collect(Options{Dir: dir})
	if len(r.SettingsProblems) != 2 || !strings.Contains(r.SettingsProblems[0], "line 2: [osm] status_intreval") {
		t.Errorf("SettingsProblems = %q", r.SettingsProblems)
	}
	var text bytes.Buffer
	r.WriteText(&text)
	if !strings.Contains(text.String(), "settings: "+toml+" line 2: [osm] status_intreval: unknown key; did you mean status_interval?") {
		t.Errorf("text lacks the [osm] mistake:\n%s", text.String())
	}
	write(t, toml, "[osm]\nstatus_interval = \"5s\"\n")
	if r := Collect(Options{Dir: dir}); len(r.SettingsProblems) != 0 {
		t.Errorf("SettingsProblems after the fix = %q", r.SettingsProblems)
	}
}
