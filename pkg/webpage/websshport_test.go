package webpage

import (
	"path/filepath"
	"testing"
)

// TestWebSSHPortExplicit: the port webssh was given (web --webssh-port,
// from LUOYUN_WEBSSH_PORT) is what the page shows, over the JSON's; a
// JSON port that is no port gives the settings' port, as webssh does.
func TestWebSSHPortExplicit(t *testing.T) {
	f := newFixture(t)
	writeFile(t, filepath.Join(f.root, NoCookie, "p.html"), "$websshport $websshurl")
	tests := []struct {
		name     string
		conf     string
		explicit int
		want     string
	}{
		{"explicit over JSON", `JSON={"domain":{"name":"h"},"webssh":{"port":8022}}`, 9001, "9001 http://h:9001/"},
		{"JSON", `JSON={"domain":{"name":"h"},"webssh":{"port":8022}}`, 0, "8022 http://h:8022/"},
		{"JSON not a port", `JSON={"domain":{"name":"h"},"webssh":{"port":70000}}`, 0, "8001 http://h:8001/"},
		{"JSON broken", `JSON=(null)`, 0, "8001 http://192.0.2.10:8001/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeFile(t, f.conf, tt.conf+"\n")
			cfg := f.config(newClock(t0))
			cfg.WebSSHPortExplicit = tt.explicit
			_, addr := start(t, cfg, nil)
			if r := get(t, addr, "/p.html"); r.body != tt.want {
				t.Errorf("page = %q, want %q", r.body, tt.want)
			}
		})
	}
}
