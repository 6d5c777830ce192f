package health

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pidfile "github.com/luoyun/osmanager/pkg/daemon"
	"github.com/luoyun/osmanager/pkg/procinfo"
)

// TestWebSSHPortFrom: status says where webssh's port comes from, and
// names both ports when the cloud's JSON overrides the settings file's.
func TestWebSSHPortFrom(t *testing.T) {
	pid, addr := startDaemon(t, "webssh")
	_, ps, _ := net.SplitHostPort(addr)
	tests := []struct {
		name, json, toml string
		from, note       string
	}{
		{"cloud over the settings file", `{"webssh": {"status": "enable", "port": ` + ps + `}}`, "[webssh]\nport = 28002\n",
			"cloud", "the cloud's JSON webssh.port " + ps + " overrides [webssh] port 28002 of the settings file"},
		{"cloud over the default", `{"webssh": {"port": ` + ps + `}}`, "",
			"cloud", "the cloud's JSON webssh.port " + ps + " overrides [webssh] port 8001 (the default) of the settings file"},
		{"settings file", `{"domain": {"name": "x"}}`, "[webssh]\nport = " + ps + "\n", "settings", ""},
		{"option", `{"webssh": {"port": 28003}}`, "[webssh]\nport = 28002\n", "option", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tree(t)
			os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
			os.MkdirAll(filepath.Join(dir, "custom"), 0o755)
			os.MkdirAll(filepath.Join(dir, "run"), 0o755)
			if err := pidfile.Record(procinfo.Root, filepath.Join(dir, "run/webssh.pid"), pid); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, "conf/luoyun.conf"), "CLC_IP=127.0.0.1\nTAG=1\nJSON="+tt.json+"\n")
			write(t, filepath.Join(dir, "custom/osmanager.toml"), tt.toml)
			r := Collect(Options{Dir: dir, Names: []string{"webssh"}})
			d := r.Daemons[0]
			if d.PortFrom != tt.from || d.PortNote != tt.note {
				t.Errorf("webssh port from %q, note %q; want %q, %q", d.PortFrom, d.PortNote, tt.from, tt.note)
			}
			var text bytes.Buffer
			r.WriteText(&text)
			if want := "port from " + tt.from; !strings.Contains(text.String(), want) || !strings.Contains(text.String(), tt.note) {
				t.Errorf("text lacks %q and %q:\n%s", want, tt.note, text.String())
			}
		})
	}
}
