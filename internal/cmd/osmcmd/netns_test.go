package osmcmd

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
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
	sim := startProc(t, ns, bin, "clc", "--listen", "127.0.0.1:0", "-c", keyFile(t),
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
	// The first delay is anywhere in [0, 20s]; wait for one of at least
	// 10 s (the next ones are in [10s, 20s]).
	var backoff time.Duration
	for backoff < 10*time.Second {
		m := agent.waitLine(t, `controller not reached; retrying.*"retry_in": "([^"]+)"`)
		backoff, _ = time.ParseDuration(m[1])
	}
	start := time.Now()
	sim := startProc(t, ns, bin, "clc", "--listen", "127.0.0.1:0", "-c", keyFile(t),
		"--mcast", "228.0.0.1:1369", "--join-every", "200ms")
	sim.waitLine(t, `^registered tag=42 ip=127\.0\.0\.1 from=`)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("registered %v after the controller came back; the back-off was %v", took, backoff)
	}
	agent.stop(t, syscall.SIGTERM)
	sim.stop(t, syscall.SIGTERM)
}

// TestNoMulticastRouteDoesNotSpin: with no route for the group the agent
// cannot even listen; it must back off (first delay in [0, 1s], then at
// least 0.5 s: reconnect_min/2) with one log line per attempt, not retry
// in a loop.
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
	retryIn := regexp.MustCompile(`"retry_in": "([^"]+)"`)
	for _, l := range agent.output() {
		switch {
		case strings.Contains(l, "controller not reached; retrying"):
			attempts++
			m := retryIn.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("failure line without retry_in: %s", l)
				continue
			}
			d, _ := time.ParseDuration(m[1])
			if d > 1500*time.Millisecond || attempts > 1 && d < 500*time.Millisecond {
				t.Errorf("attempt %d: retry_in %v, want within [0, 1s] first, then [0.5s, 1.5s] in the first seconds", attempts, d)
			}
			if !strings.Contains(l, "228.0.0.1:1369") {
				t.Errorf("failure line does not name the group: %s", l)
			}
		case strings.Contains(l, "[WARNING]") || strings.Contains(l, "[ERROR]"):
			noisy++
			t.Logf("extra line: %s", l)
		}
	}
	// About 3 s: the first delay may be short, the others are at least
	// 0.5 s: at most 8 attempts (a loop would make thousands).
	if attempts < 2 || attempts > 8 {
		t.Errorf("%d attempts in about 3s, want 2 to 8", attempts)
	}
	if noisy != 0 {
		t.Errorf("%d warning/error lines besides the one per attempt", noisy)
	}
}
