package websshcmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/pkg/cli"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunQuickExits(t *testing.T) {
	dir := t.TempDir()
	disabled := writeFile(t, dir, "disabled.conf", "CLC_IP=10.0.0.1\nJSON={\"webssh\": {\"status\": \"disable\", \"port\": 8001}}\n")
	enabled := writeFile(t, dir, "enabled.conf", "JSON={\"webssh\": {\"status\": \"enable\"}}\n")
	tests := []struct {
		name     string
		args     []string
		wantOut  string
		wantCode int
	}{
		{"disabled", []string{"-c", disabled}, "web ssh disabled\n", cli.ExitOK},
		{"help", []string{"-h"}, "Usage: webssh [options]", cli.ExitOK},
		{"version", []string{"--version"}, "webssh", cli.ExitOK},
		{"extra argument", []string{"-c", disabled, "x"}, "", cli.ExitUsage},
		{"bad option", []string{"--nope"}, "", cli.ExitUsage},
		{"missing config named", []string{"-c", filepath.Join(dir, "none.conf")}, "", cli.ExitFailure},
		{"bad port", []string{"-c", enabled, "-p", "70000"}, "", cli.ExitUsage},
		{"missing settings named", []string{"--settings", filepath.Join(dir, "none.toml")}, "", cli.ExitFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), tt.args, &out, &errb)
			if code := cli.ExitCode("webssh", err, io.Discard); code != tt.wantCode {
				t.Fatalf("run(%q) = %v (exit %d), want exit %d", tt.args, err, code, tt.wantCode)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Fatalf("run(%q) printed %q, want %q", tt.args, out.String(), tt.wantOut)
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestRunServes checks the port order (-p over JSON over settings) and the
// page title from the JSON domain name.
func TestRunServes(t *testing.T) {
	dir := t.TempDir()
	setPort := freePort(t)
	set := writeFile(t, dir, "s.toml", "[webssh]\ncommand = [\"/bin/cat\"]\nport = "+strconv.Itoa(setPort)+"\n")
	jsonPort := freePort(t)
	conf := writeFile(t, dir, "luoyun.conf", "JSON={\"webssh\": {\"status\": \"enable\", \"port\": \""+strconv.Itoa(jsonPort)+"\"}, \"domain\": {\"name\": \"vm7.cloud.example\"}}\n")
	// A JSON port that is no port is ignored for the settings' port, by
	// the rule the page's $websshport follows too (settings.WebSSHPort).
	badPort := writeFile(t, dir, "badport.conf", "JSON={\"webssh\": {\"port\": 99999}, \"domain\": {\"name\": \"vm7.cloud.example\"}}\n")
	flagPort := freePort(t)
	tests := []struct {
		name string
		args []string
		port int
	}{
		// The cloud wins, and webssh says so (TestRunServes below).
		{"json port", []string{"-c", conf}, jsonPort},
		{"flag port", []string{"-c", conf, "-p", strconv.Itoa(flagPort)}, flagPort},
		{"bad JSON port", []string{"-c", badPort}, setPort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logFile := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".log")
			args := append([]string{"--settings", set, "--listen-addr", "127.0.0.1", "-l", logFile}, tt.args...)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- run(ctx, args, io.Discard, io.Discard) }()
			url := "http://127.0.0.1:" + strconv.Itoa(tt.port) + "/"
			var body []byte
			poll.UntilNil(t, poll.Timeout, func() error {
				select {
				case err := <-done:
					t.Fatalf("run ended early: %v", err)
				default:
				}
				resp, err := http.Get(url)
				if err != nil {
					return fmt.Errorf("no page at %s: %w", url, err)
				}
				body, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				return nil
			})
			if !bytes.Contains(body, []byte("<title>vm7.cloud.example</title>")) {
				t.Fatalf("page lacks the instance's name in its title:\n%s", body)
			}
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Fatalf("run after cancel: %v", err)
			}
			// One line names both ports when the cloud's overrides the
			// settings file's, and only then.
			data, _ := os.ReadFile(logFile)
			line := fmt.Sprintf("the cloud's JSON webssh.port %d overrides [webssh] port %d of the settings file", jsonPort, setPort)
			if n, want := strings.Count(string(data), line), b2i(tt.port == jsonPort); n != want {
				t.Errorf("webssh.log has %d lines %q, want %d:\n%s", n, line, want, data)
			}
		})
	}
}
