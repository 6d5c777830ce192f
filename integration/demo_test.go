package integration

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemo runs scripts/demo.sh (what make demo runs) in a temp sandbox
// with free ports, waits for the simulator's registration and report
// lines and the URLs, logs in to the web terminal as the printed demo
// name and password and reaches a shell prompt, then sends Ctrl-C (SIGINT to its process group) and checks that every
// process it started is gone, that osc's edits landed in the sandbox and
// that no /LuoYun appeared on the machine.
func TestDemo(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	bin := binDir(t)
	sb := t.TempDir()
	_, hostTree := os.Lstat("/LuoYun")
	web, webssh, clc := freePort(t), freePort(t), freePort(t)
	// `make demo` itself, in a copy of the repository's shipped files
	// whose "go build" copies the binaries under test (the Makefile's GO).
	repo := demoRepo(t, bin)
	cmd := exec.Command("make", "-C", repo, "demo", "GO="+filepath.Join(repo, "fakego"))
	cmd.Env = append(os.Environ(), "LUOYUN_BIN="+bin, "DEMO_DIR="+sb, "MAKEFLAGS=", "MAKELEVEL=",
		"DEMO_WEB_PORT="+strconv.Itoa(web), "DEMO_WEBSSH_PORT="+strconv.Itoa(webssh), "DEMO_CLC_PORT="+strconv.Itoa(clc))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	// A process group of its own, like a terminal's foreground job, so
	// that Ctrl-C can be sent to all of it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Whatever happens, nothing it started survives the test: the
	// daemons (in sessions of their own) through osmanager.sh stop, the
	// rest (simulator, tee) with its process group.
	t.Cleanup(func() {
		if sc := filepath.Join(sb, "LuoYun/osmanager.sh"); fileExists(sc) {
			runScript(t, []string{"LUOYUN_DIR=" + filepath.Join(sb, "LuoYun")}, sc, "stop")
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var all []string
	// wait waits for a line containing want, in any order with the others
	// (the simulator's lines interleave with the demo's).
	wait := func(want string) {
		t.Helper()
		for _, l := range all {
			if strings.Contains(l, want) {
				return
			}
		}
		timeout := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("demo ended before %q:\n%s", want, strings.Join(all, "\n"))
				}
				all = append(all, l)
				if strings.Contains(l, want) {
					return
				}
			case <-timeout:
				t.Fatalf("no %q from the demo in 30s:\n%s", want, strings.Join(all, "\n"))
			}
		}
	}
	wait("page:      http://127.0.0.1:" + strconv.Itoa(web) + "/")
	wait("web shell: http://127.0.0.1:" + strconv.Itoa(webssh) + "/")
	wait("clc: registered tag=42 ip=127.0.0.1")
	wait("clc: report tag=42 status=2000")
	if body := httpGet(t, "http://127.0.0.1:"+strconv.Itoa(web)+"/"); !strings.Contains(body, "Demo") {
		t.Errorf("demo page lacks the demo VERSION's application:\n%s", body)
	}
	// The web terminal: the demo's login, as the printed name with the
	// printed password, reaches a shell prompt; a wrong password does not.
	wait("log in as demo, password ")
	var login []string
	for _, l := range all {
		if m := demoLoginLine.FindStringSubmatch(l); m != nil {
			login = m[1:]
		}
	}
	if login == nil {
		t.Fatalf("no demo login in the demo's lines:\n%s", strings.Join(all, "\n"))
	}
	readUntil, send := dialTerminal(t, webssh)
	readUntil("login: ")
	send(login[0] + "\r")
	readUntil("Password: ")
	send(login[1] + "x\r")
	readUntil("Login incorrect")
	readUntil("login: ")
	send(login[0] + "\r")
	readUntil("Password: ")
	send(login[1] + "\r")
	readUntil("demo$ ")
	send("echo in-$((6*7)) $PWD\r")
	readUntil("in-42 " + sb)
	if strings.Contains(readFile(t, filepath.Join(sb, "LuoYun/custom/osmanager.toml")), login[1]) {
		t.Errorf("the demo's password is in the settings file")
	}
	if st, err := os.Stat(filepath.Join(sb, "demo-login")); err != nil {
		t.Error(err)
	} else if st.Mode().Perm()&0o077 != 0 {
		t.Errorf("the demo's login script (it holds the password) is %v, want it the demo's user's alone", st.Mode())
	}

	// The printed commands to stop and start one component keep the
	// demo's loopback-only listening.
	osmanager := filepath.Join(sb, "osmanager")
	wait("stop one component: " + osmanager + " stop web")
	if r := runScript(t, []string{"LUOYUN_LISTEN_ADDR=", "LUOYUN_DIR="}, osmanager, "stop", "web"); r.code != 0 {
		t.Fatalf("%s stop web = exit %d:\n%s", osmanager, r.code, r.out)
	}
	if r := runScript(t, []string{"LUOYUN_LISTEN_ADDR=", "LUOYUN_DIR="}, osmanager, "start", "web"); r.code != 0 ||
		!strings.Contains(r.out, "web: started (pid ") || !strings.Contains(r.out, "listening 127.0.0.1:"+strconv.Itoa(web)+")") {
		t.Fatalf("%s start web = exit %d, want web listening on 127.0.0.1 only:\n%s", osmanager, r.code, r.out)
	}
	st := runScript(t, nil, osmanager, "status", "--json", "web")
	if !strings.Contains(st.out, `"127.0.0.1:`+strconv.Itoa(web)+`"`) || strings.Contains(st.out, `"0.0.0.0:`) || strings.Contains(st.out, `"[::]:`) {
		t.Errorf("web after the printed start command listens elsewhere than 127.0.0.1:%d:\n%s", web, st.out)
	}

	pids := sandboxPids(t, sb)
	if len(pids) < 4 { // osm clc, osm, web, webssh
		t.Errorf("found %d processes running from the sandbox, want at least 4", len(pids))
	}
	// Ctrl-C: SIGINT to the whole foreground process group.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	wait("demo: stopped")
	for range lines {
	}
	// make, in the same process group, gets the Ctrl-C too and dies of
	// it quietly (as a shell shows it: nothing); the demo itself ends
	// with exit 0, so make has no error to report.
	if err := cmd.Wait(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 && ee.ExitCode() != 0 {
			t.Errorf("make demo after Ctrl-C: %v, want killed by SIGINT or exit 0", err)
		}
	}
	printed := strings.Join(all, "\n")
	for _, bad := range []string{"make: ***", "Error 130", "Interrupt", "go build", "CGO_ENABLED", "-ldflags"} {
		if strings.Contains(printed, bad) {
			t.Errorf("make demo printed %q:\n%s", bad, printed)
		}
	}
	if !waitFor(5*time.Second, func() bool { return len(sandboxPids(t, sb)) == 0 }) {
		t.Errorf("processes still running from the sandbox after Ctrl-C: %v", sandboxPids(t, sb))
	}
	if _, err := os.Lstat("/LuoYun"); os.IsNotExist(hostTree) && !os.IsNotExist(err) {
		t.Errorf("the demo created /LuoYun outside its sandbox")
	}
	for _, f := range []string{"LuoYun/conf/luoyun.conf", "root/etc/shadow", "root/etc/resolv.conf", "root/root/.ssh/authorized_keys", "clc.log"} {
		if _, err := os.Stat(filepath.Join(sb, f)); err != nil {
			t.Errorf("sandbox lacks %s: %v", f, err)
		}
	}
}

// demoLoginLine is the demo's line giving its terminal's login.
var demoLoginLine = regexp.MustCompile(`log in as (\S+), password (\S+) `)

// TestDemoAsRootSaysHowToLogIn: with the web terminal running /bin/login
// (the default as root), the demo says which accounts log in, and that
// the demo's password went to the sandbox only.
func TestDemoAsRootSaysHowToLogIn(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	bin := binDir(t)
	sb := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(repoRoot(t), "scripts/demo.sh"))
	cmd.Env = append(os.Environ(), "LUOYUN_BIN="+bin, "DEMO_DIR="+sb, "DEMO_SHELL=login", "DEMO_UNTIL_REPORT=1", "MAKEFLAGS=",
		"DEMO_WEB_PORT="+strconv.Itoa(freePort(t)), "DEMO_WEBSSH_PORT="+strconv.Itoa(freePort(t)), "DEMO_CLC_PORT="+strconv.Itoa(freePort(t)))
	t.Cleanup(func() {
		if sc := filepath.Join(sb, "osmanager"); fileExists(sc) {
			runScript(t, nil, sc, "stop")
		}
	})
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, w := range []string{"/bin/login of this machine: log in with one of its accounts (root and root's password)",
		"went to the sandbox's fake root only"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("demo output lacks %q:\n%s", w, out)
		}
	}
	if !strings.Contains(readFile(t, filepath.Join(sb, "LuoYun/custom/osmanager.toml")), `command = ["/bin/login"]`) {
		t.Errorf("the web terminal does not run /bin/login")
	}
}

// demoRepo copies what `make demo` uses of the repository (the top
// directory's files and scripts/, init/, custom/, build/; one main.go per
// command so that the Makefile finds the commands) and writes a "go" that builds by copying the
// binaries under test from bin.
func demoRepo(t *testing.T, bin string) string {
	t.Helper()
	root := repoRoot(t)
	repo := t.TempDir()
	top, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range top {
		switch e.Name() {
		case ".git", "bin", "dist", "cmd", "pkg", "internal", "integration", "test", "bench", "docs":
		default:
			copyPath(t, filepath.Join(root, e.Name()), filepath.Join(repo, e.Name()))
		}
	}
	ents, err := os.ReadDir(filepath.Join(root, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		mustMkdir(t, filepath.Join(repo, "cmd", e.Name()))
		mustWrite(t, filepath.Join(repo, "cmd", e.Name(), "main.go"), "package main\n", 0o644)
	}
	// The Makefile's span-set overlay: its source, and GOROOT from the real go.
	mustMkdir(t, filepath.Join(repo, "internal", "tools", "spansets"))
	mustWrite(t, filepath.Join(repo, "internal", "tools", "spansets", "main.go"), "package main\n", 0o644)
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	mustWrite(t, filepath.Join(repo, "fakego"), `#!/bin/sh
# go env GOROOT: the real one. go run ./internal/tools/spansets GOROOT DIR:
# an empty overlay in DIR. go build ... -o OUT ./cmd/NAME: copy the binary
# under test.
case $1 in
env) echo '`+strings.TrimSpace(string(goroot))+`'; exit 0 ;;
run) for a; do dir=$a; done; echo '{"Replace":{}}' >"$dir/overlay.json"; exit 0 ;;
esac
out=
while [ $# -gt 0 ]; do
	case $1 in -o) out=$2; shift ;; esac
	shift
done
exec cp "`+bin+`/$(basename "$out")" "$out"
`, 0o755)
	return repo
}

// sandboxPids lists live processes whose command line names dir.
func sandboxPids(t *testing.T, dir string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(data), dir) && running(pid) {
			out = append(out, pid)
		}
	}
	return out
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestShippedVersionPage: the shipped build/VERSION reads well on the
// shipped pages: an application name and versions, no "unknown", no
// "appliance appliance".
func TestShippedVersionPage(t *testing.T) {
	s := newSandbox(t, time.Second)
	copyPath(t, filepath.Join(repoRoot(t), "build/VERSION"), filepath.Join(s.tree, "build/VERSION.shipped"))
	if err := os.Rename(filepath.Join(s.tree, "build/VERSION.shipped"), filepath.Join(s.tree, "build/VERSION")); err != nil {
		t.Fatal(err)
	}
	if r := s.osmanager(t, "start"); r.code != 0 {
		t.Fatalf("start = exit %d:\n%s", r.code, r.out)
	}
	if _, _, ok := s.clc.wait(0, 10*time.Second, fmt.Sprintf("report tag=%d status=2000", e2eTag)); !ok {
		t.Fatal("no report 2000")
	}
	// The page reads the registrar's state at most a second later.
	waitFor(5*time.Second, func() bool {
		return strings.Contains(httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/?cookie=%s", s.webPort, e2eCookie)), "application running")
	})
	for _, q := range []string{"", "?cookie=" + e2eCookie} {
		body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/%s", s.webPort, q))
		for _, bad := range []string{"unknown", "appliance appliance", "appliance</b> appliance", "$"} {
			if strings.Contains(body, bad) {
				t.Errorf("page%s with the shipped VERSION shows %q:\n%s", q, bad, body)
			}
		}
		if q != "" && !strings.Contains(body, "registered") {
			t.Errorf("page%s is not the one with the cookie:\n%s", q, body)
		}
		if !strings.Contains(body, "Welcome to the LuoYun <b id=\"app\">Base system</b> appliance") || !strings.Contains(body, "Version 版本: 1.0 · Base system: 1.0") {
			t.Errorf("page%s does not show the shipped VERSION's application and versions:\n%s", q, body)
		}
	}
}
