package osmcmd

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// TestRestartReRegistersFast: the controller goes away and comes back on
// the same address; the agent, with the default back-off (or
// reconnect_max 2s), must be registered again within the target after the
// new controller listens. The outage itself is a fixed sleep: it is the
// scenario, not a wait for a condition. Subtests run in parallel (about
// 15 s of wall time in all).
func TestRestartReRegistersFast(t *testing.T) {
	tests := []struct {
		name     string
		outage   time.Duration
		settings string // "" : defaults (reconnect_min 1s, reconnect_max 1m)
		mcast    bool   // CLC_IP and a multicast group that carries no joins (netns)
		target   time.Duration
	}{
		// 7 s: the old schedule (attempts at 1, 3, 7, 15 s) had just
		// missed the controller and waited 8 s for the next attempt.
		{name: "CLC_IP, 7 s outage", outage: 7 * time.Second, target: 6 * time.Second},
		{name: "CLC_IP, 10 s outage", outage: 10 * time.Second, target: 6 * time.Second},
		// The old agent waited out a 15 s discovery window after each
		// failed dial.
		{name: "CLC_IP and a group without joins, 10 s outage", outage: 10 * time.Second, mcast: true, target: 6 * time.Second},
		{name: "reconnect_max 2s, 0.5 s restart", outage: 500 * time.Millisecond,
			settings: "[osm]\nreconnect_max = \"2s\"\n", target: 3 * time.Second},
	}
	bin := osmBin(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var prefix []string
			group := ""
			if tt.mcast {
				prefix = netns(t,
					[]string{"link", "set", "lo", "multicast", "on"},
					[]string{"route", "add", "224.0.0.0/4", "dev", "lo"},
				)
				group = "228.0.0.1:1369"
			}
			addr := "127.0.0.1:0"
			if !tt.mcast {
				ln, err := net.Listen("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				addr = ln.Addr().String()
				ln.Close()
			} else {
				addr = "127.0.0.1:1369" // a namespace of our own: the port is free
			}
			settings := tt.settings
			if settings == "" {
				settings = "[osm]\nstatus_interval = \"5s\"\n"
			}
			in := newInstance(t, addr, group, settings)
			sim := startProc(t, prefix, bin, "clc", "--listen", addr, "-c", keyFile(t))
			sim.waitLine(t, `^listening `)
			agent := startProc(t, prefix, bin, in.args()...)
			sim.waitLine(t, `^registered tag=42 `)
			sim.stop(t, syscall.SIGTERM)
			agent.waitLine(t, `controller connection lost; reconnecting`)
			time.Sleep(tt.outage) // the outage (the scenario, not a wait)
			sim2 := startProc(t, prefix, bin, "clc", "--listen", addr, "-c", keyFile(t))
			sim2.waitLine(t, `^listening `)
			back := time.Now()
			sim2.waitLine(t, `^registered tag=42 `)
			took := time.Since(back)
			t.Logf("%s: re-registered %v after the controller was back", tt.name, took.Round(10*time.Millisecond))
			if took > tt.target {
				t.Errorf("re-registered %v after the controller was back, want <= %v", took, tt.target)
			}
			agent.stop(t, syscall.SIGTERM)
			sim2.stop(t, syscall.SIGTERM)
		})
	}
}
