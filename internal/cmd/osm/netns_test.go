package osm

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// netns creates a network namespace with lo up, removed at cleanup. It
// skips the test when not root or without iproute2.
func netns(t *testing.T, setup ...[]string) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("multicast discovery test needs root for a network namespace (ip netns); skipped")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("multicast discovery test needs iproute2 (ip); skipped")
	}
	name := fmt.Sprintf("osm-%d-%d", os.Getpid(), time.Now().UnixNano()%100000)
	ipcmd := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ipcmd("netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	ipcmd("-n", name, "link", "set", "lo", "up")
	for _, s := range setup {
		ipcmd(append([]string{"-n", name}, s...)...)
	}
	return []string{"ip", "netns", "exec", name}
}

// TestMulticastDiscovery: no CLC_IP; the agent finds the simulator from
// its JOIN_REQUEST datagrams on 228.0.0.1:1369, inside a namespace whose
// only link is lo with a multicast route.
func TestMulticastDiscovery(t *testing.T) {
	ns := netns(t,
		[]string{"link", "set", "lo", "multicast", "on"},
		[]string{"route", "add", "224.0.0.0/4", "dev", "lo"},
	)
	bin := osmBin(t)
	in := newInstance(t, "", "228.0.0.1:1369", "")
	agent := startProc(t, ns, bin, in.args()...)
	sim := startProc(t, ns, bin, "clc", "--listen", "127.0.0.1:0", "--key", testKey,
		"--mcast", "228.0.0.1:1369", "--join-every", "200ms")
	addr := sim.waitLine(t, `^listening addr=(\S+)$`)[1]
	sim.waitLine(t, `^registered tag=42 ip=127\.0\.0\.1 from=`)
	sim.waitLine(t, `^report tag=42 status=2000$`)
	agent.waitLine(t, `registered.*"controller": "`+addr+`"`)
	if code, took := agent.stop(t, syscall.SIGTERM); code != 0 || took > time.Second {
		t.Errorf("agent exit %d after %v; want 0 within 1s", code, took)
	}
	sim.stop(t, syscall.SIGTERM)
}

// TestJoinEndsBackOff: a discovery-only agent that is backing off (here
// 20 s, longer than the test waits) registers as soon as a returning
// controller's first joins arrive.
func TestJoinEndsBackOff(t *testing.T) {
	ns := netns(t,
		[]string{"link", "set", "lo", "multicast", "on"},
		[]string{"route", "add", "224.0.0.0/4", "dev", "lo"},
	)
	bin := osmBin(t)
	in := newInstance(t, "", "228.0.0.1:1369",
		"[osm]\nreconnect_min = \"20s\"\nreconnect_max = \"60s\"\ndiscovery_window = \"200ms\"\n")
	agent := startProc(t, ns, bin, in.args()...)
	agent.waitLine(t, `controller not reached; retrying.*"retry_in": "20s"`)
	start := time.Now()
	sim := startProc(t, ns, bin, "clc", "--listen", "127.0.0.1:0", "--key", testKey,
		"--mcast", "228.0.0.1:1369", "--join-every", "200ms")
	sim.waitLine(t, `^registered tag=42 ip=127\.0\.0\.1 from=`)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("registered %v after the controller came back; the back-off was 20s", took)
	}
	agent.stop(t, syscall.SIGTERM)
	sim.stop(t, syscall.SIGTERM)
}

// TestNoMulticastRouteDoesNotSpin: with no route for the group the agent
// cannot even listen; it must back off (1 s, 2 s, 4 s, ...) with one log
// line per attempt, not retry in a loop.
func TestNoMulticastRouteDoesNotSpin(t *testing.T) {
	ns := netns(t)
	in := newInstance(t, "", "228.0.0.1:1369", "[osm]\nreconnect_min = \"1s\"\nreconnect_max = \"60s\"\n")
	agent := startProc(t, ns, osmBin(t), in.args()...)
	agent.waitLine(t, `controller not reached; retrying`)
	time.Sleep(3 * time.Second) // an observation window, not a wait for a condition
	code, _ := agent.stop(t, syscall.SIGTERM)
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	var attempts, noisy int
	for _, l := range agent.output() {
		switch {
		case strings.Contains(l, "controller not reached; retrying"):
			attempts++
			if !strings.Contains(l, "228.0.0.1:1369") {
				t.Errorf("failure line does not name the group: %s", l)
			}
		case strings.Contains(l, "[WARNING]") || strings.Contains(l, "[ERROR]"):
			noisy++
			t.Logf("extra line: %s", l)
		}
	}
	// About 3 s with delays of at least 1 s: 3 attempts, a 4th at the
	// earliest 3 s after the first.
	if attempts < 2 || attempts > 4 {
		t.Errorf("%d attempts in about 3s, want 2 to 4", attempts)
	}
	if noisy != 0 {
		t.Errorf("%d warning/error lines besides the one per attempt", noisy)
	}
}
