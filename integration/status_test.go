package integration

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// statusMethods lists the ways the status script can check the port that
// this machine has: curl, and busybox's wget on a PATH of busybox applets
// only (no curl), as on a small appliance.
func statusMethods(t *testing.T) map[string][]string {
	m := map[string][]string{}
	if _, err := exec.LookPath("curl"); err == nil {
		m["curl"] = nil
	}
	if bb, err := exec.LookPath("busybox"); err == nil {
		dir := t.TempDir()
		for _, app := range []string{"sh", "sed", "head", "cat", "dirname", "timeout", "wget"} {
			if err := os.Symlink(bb, filepath.Join(dir, app)); err != nil {
				t.Fatal(err)
			}
		}
		m["busybox-wget"] = []string{"PATH=" + dir}
	}
	if len(m) == 0 {
		t.Skip("neither curl nor busybox installed")
	}
	return m
}

// garbageServer accepts connections and answers something that is not HTTP.
func garbageServer(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 512)
			c.Read(buf)
			c.Write([]byte("SSH-2.0-nothttp\r\n"))
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

func httpServer(t *testing.T, code int) int {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		fmt.Fprintln(w, "page")
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

// TestStatusScript runs the shipped custom/scripts/status against a real
// page server, a closed port, a server answering 404 and 500 and one that
// does not speak HTTP, with every checking method; the port comes from
// the tree's osmanager.toml [web] port or LUOYUN_WEB_PORT.
func TestStatusScript(t *testing.T) {
	script := filepath.Join(repoRoot(t), "custom/scripts/status")
	tests := []struct {
		name string
		port func(t *testing.T) int
		want int
	}{
		{"page server", func(t *testing.T) int { return httpServer(t, 200) }, 0},
		{"page 404 still answers", func(t *testing.T) int { return httpServer(t, 404) }, 0},
		{"server error", func(t *testing.T) int { return httpServer(t, 500) }, 2},
		{"closed port", func(t *testing.T) int { return freePort(t) }, 1},
		{"not HTTP", garbageServer, 2},
	}
	for method, env := range statusMethods(t) {
		for _, tt := range tests {
			for _, via := range []string{"toml", "env"} {
				t.Run(method+"/"+tt.name+"/"+via, func(t *testing.T) {
					port := tt.port(t)
					dir := t.TempDir()
					mkdirs(t, dir, "custom")
					e := append([]string{"LUOYUN_DIR=" + dir, "LUOYUN_WEB_PORT=", "LUOYUN_LISTEN_ADDR="}, env...)
					if via == "toml" {
						writeFile(t, filepath.Join(dir, "custom/osmanager.toml"),
							"[osm]\nstatus_interval = \"1s\" # port = 1\n\n[web]\n# port = 1\nport = "+strconv.Itoa(port)+"  # the page\n", 0o644)
					} else {
						e = append(e, "LUOYUN_WEB_PORT="+strconv.Itoa(port))
					}
					r := runScript(t, e, "/bin/sh", script)
					if r.code != tt.want {
						t.Errorf("status (%s) on %s = exit %d, want %d; output: %s", method, tt.name, r.code, tt.want, r.out)
					}
				})
			}
		}
	}
}

// TestStatusScriptDefaultPort: without a [web] port the script checks 8080.
func TestStatusScriptDefaultPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		t.Skipf("port 8080 is busy: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}
	go srv.Serve(l)
	defer srv.Close()
	dir := t.TempDir()
	mkdirs(t, dir, "custom")
	writeFile(t, filepath.Join(dir, "custom/osmanager.toml"), "[webssh]\nport = 1\n", 0o644)
	r := runScript(t, []string{"LUOYUN_DIR=" + dir, "LUOYUN_WEB_PORT=", "LUOYUN_LISTEN_ADDR="}, filepath.Join(repoRoot(t), "custom/scripts/status"))
	if r.code != 0 {
		t.Errorf("status with the default port = exit %d, want 0: %s", r.code, r.out)
	}
}

// TestStatusScriptWebStarting: with web just started (run/web.pid a
// process a moment old) and nothing listening on its port, the shipped
// status script answers at once: non-zero within 5 s. The wait for a web
// still starting is osm's (its first report's grace), not the script's.
func TestStatusScriptWebStarting(t *testing.T) {
	for method, env := range statusMethods(t) {
		t.Run(method, func(t *testing.T) {
			dir := t.TempDir()
			mkdirs(t, dir, "custom", "run")
			web := exec.Command("sleep", "60")
			if err := web.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { web.Process.Kill(); web.Wait() })
			writeFile(t, filepath.Join(dir, "run/web.pid"), strconv.Itoa(web.Process.Pid)+"\n", 0o644)
			writeFile(t, filepath.Join(dir, "custom/osmanager.toml"), "[web]\nport = "+strconv.Itoa(freePort(t))+"\n", 0o644)
			start := time.Now()
			r := runScript(t, append([]string{"LUOYUN_DIR=" + dir, "LUOYUN_WEB_PORT=", "LUOYUN_LISTEN_ADDR="}, env...), "/bin/sh", filepath.Join(repoRoot(t), "custom/scripts/status"))
			took := time.Since(start)
			if r.code != 1 {
				t.Errorf("status with nothing listening = exit %d, want 1; output: %s", r.code, r.out)
			}
			if took > 5*time.Second {
				t.Errorf("status with nothing listening took %v, want at most 5 s", took)
			}
		})
	}
}
