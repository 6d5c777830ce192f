// Package nginxtest runs Debian's nginx for tests as the LuoYun cloud's
// front end does in front of an instance's port: an unprivileged
// foreground process with its own prefix, configuration, pid file and
// temporary paths, on a free loopback port, holding exactly the front
// end's proxy directives. It skips the test with a clear message when
// nginx is not installed.
package nginxtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Bin is where Debian's nginx-light installs nginx.
const Bin = "/usr/sbin/nginx"

// Location is the body of the cloud front end's `location /` for an
// instance (lyweb/settings.py, NGINX_CONF['template']), word for word,
// with the upstream's name where the template has <upstream>.
func Location(upstream string) string {
	return `proxy_read_timeout 1800;
client_max_body_size 128m;
proxy_pass_header Server;
proxy_set_header Host $http_host;
proxy_redirect off;
proxy_set_header X-Real-IP $remote_addr;
proxy_set_header X-Scheme $scheme;
proxy_pass http://` + upstream + `;`
}

// Config returns a whole nginx.conf: listen on listen, proxy every path
// to backend (host:port) with Location, everything else under dir.
func Config(dir, listen, backend string) string {
	return fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 512; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    upstream instance {
        server %[3]s;
    }
    server {
        listen %[2]s;
        location / {
            %[4]s
        }
    }
}
`, dir, listen, backend, strings.ReplaceAll(Location("instance"), "\n", "\n            "))
}

// Proxy is a running nginx.
type Proxy struct {
	// URL is the proxy's address, e.g. http://127.0.0.1:34567/.
	URL string
	// Dir holds the configuration and the logs (error.log, access.log).
	Dir string
}

// Start runs nginx in front of backend (host:port) until the test ends.
func Start(t testing.TB, backend string) *Proxy {
	t.Helper()
	if _, err := os.Stat(Bin); err != nil {
		t.Skipf("skipping: no nginx (%v); apt-get install nginx-light", err)
	}
	dir := t.TempDir()
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		listen := net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
		conf := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(conf, []byte(Config(dir, listen, backend)), 0o644); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd := exec.Command(Bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("start nginx: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if err := waitListening(listen, exited); err != nil {
			last = fmt.Errorf("%w; stderr: %s; error.log: %s", err, stderr.String(), tailFile(filepath.Join(dir, "error.log")))
			_ = cmd.Process.Kill()
			continue // the port was taken between freePort and nginx: try another
		}
		t.Cleanup(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		})
		return &Proxy{URL: "http://" + listen + "/", Dir: dir}
	}
	t.Fatalf("nginx did not start: %v", last)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitListening(addr string, exited <-chan error) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("nginx exited: %v", err)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nginx not listening on %s after 10s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tailFile returns the last KiB of a file, for error messages.
func tailFile(p string) string {
	b, _ := os.ReadFile(p)
	if len(b) > 1024 {
		b = b[len(b)-1024:]
	}
	return string(b)
}
