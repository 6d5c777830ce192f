package settings

import (
	"testing"

	"github.com/luoyun/osmanager/pkg/lyconf"
)

func TestWebSSHPort(t *testing.T) {
	json := func(p int64) *lyconf.Instance {
		return &lyconf.Instance{WebSSH: &lyconf.WebSSH{Port: lyconf.FlexInt(p)}}
	}
	tests := []struct {
		name     string
		explicit int
		inst     *lyconf.Instance
		want     int
		warn     bool
	}{
		{"settings only", 0, nil, 8001, false},
		{"no webssh in JSON", 0, &lyconf.Instance{}, 8001, false},
		{"JSON port", 0, json(8022), 8022, false},
		{"explicit wins over JSON", 9001, json(8022), 9001, false},
		{"JSON out of range", 0, json(70000), 8001, true},
		{"JSON negative", 0, json(-1), 8001, true},
	}
	for _, tt := range tests {
		got, err := WebSSHPort(tt.explicit, tt.inst, 8001)
		if got != tt.want || (err != nil) != tt.warn {
			t.Errorf("%s: WebSSHPort = %d, %v; want %d (warning %v)", tt.name, got, err, tt.want, tt.warn)
		}
	}
}

// TestWebSSHPortFrom: where the port comes from, and the line that names
// both ports when the cloud's overrides the settings file's.
func TestWebSSHPortFrom(t *testing.T) {
	json := &lyconf.Instance{WebSSH: &lyconf.WebSSH{Port: 28003}}
	for _, tt := range []struct {
		explicit int
		inst     *lyconf.Instance
		want     int
		from     string
	}{
		{0, nil, 28002, PortFromSettings},
		{0, json, 28003, PortFromCloud},
		{9001, json, 9001, PortFromOption},
	} {
		if p, from, _ := WebSSHPortFrom(tt.explicit, tt.inst, 28002); p != tt.want || from != tt.from {
			t.Errorf("WebSSHPortFrom(%d, %v, 28002) = %d, %q; want %d, %q", tt.explicit, tt.inst, p, from, tt.want, tt.from)
		}
	}
	if got, want := CloudPortWins(28003, 28002), "the cloud's JSON webssh.port 28003 overrides [webssh] port 28002 of the settings file"; got != want {
		t.Errorf("CloudPortWins = %q, want %q", got, want)
	}
}
