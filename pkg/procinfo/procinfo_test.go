package procinfo

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/poll"
)

func TestParseStat(t *testing.T) {
	for _, tt := range []struct {
		in    string
		want  Stat
		isErr bool
	}{
		{"42 (osm) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 12345 1000 100 0\n", Stat{State: 'S', StartTicks: 12345, PPID: 1, Pgrp: 42, Session: 42}, false},
		{"7 (a) b) (c) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0\n", Stat{State: 'Z', StartTicks: 99, PPID: 1, Pgrp: 7, Session: 7}, false},
		{"7 (name", Stat{}, true},
		{"7 (x) S 1 2 3", Stat{}, true},
		{"7 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 abc 20", Stat{}, true},
		{"7 (x) SS 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20", Stat{}, true},
		{"7 (x) S p 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20", Stat{}, true},
		{"7 (x) S 1 2 s 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20", Stat{}, true},
	} {
		got, err := ParseStat([]byte(tt.in))
		if (err != nil) != tt.isErr || got != tt.want {
			t.Errorf("ParseStat(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.isErr)
		}
	}
}

func TestParseNetTCP(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4711 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4712 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 4713 1 0000000000000000 20 4 30 10 -1
   3: garbage
   4: 0100007F:ZZZZ 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4714 1
`
	want := []ListenSocket{{"127.0.0.1:8080", "4711"}, {"0.0.0.0:8001", "4712"}}
	if got := ParseNetTCP([]byte(table)); !slices.Equal(got, want) {
		t.Errorf("ParseNetTCP = %+v, want %+v", got, want)
	}
	table6 := `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F41 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5001 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5002 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:0051 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5003 1 0000000000000000 100 0 0 10 0
`
	want6 := []ListenSocket{{"[::]:8001", "5001"}, {"[::1]:80", "5002"}, {"127.0.0.1:81", "5003"}}
	if got := ParseNetTCP([]byte(table6)); !slices.Equal(got, want6) {
		t.Errorf("ParseNetTCP(tcp6) = %+v, want %+v", got, want6)
	}
}

// TestListeningOwnSockets: the test process's own listeners, IPv4 and
// (when the machine has it) IPv6, are found through its fd links; a
// closed one is not.
func TestListeningOwnSockets(t *testing.T) {
	l4, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l4.Close()
	want := []string{l4.Addr().String()}
	if l6, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		defer l6.Close()
		want = append(want, l6.Addr().String())
	}
	closed, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	got, err := Listening(Root, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("Listening = %v, lacks %s", got, w)
		}
	}
	if slices.Contains(got, closed.Addr().String()) {
		t.Errorf("Listening = %v, holds the closed %s", got, closed.Addr())
	}
	if _, err := Listening(Root, 1<<30); err == nil {
		t.Errorf("Listening(no such pid) succeeded")
	}
}

// TestAliveRunsStarted: the test process is alive, runs its own binary
// and started recently; a child that has exited is not alive, whether it
// is still a zombie or has been reaped.
func TestAliveRunsStarted(t *testing.T) {
	self := os.Getpid()
	if !Alive(Root, self) {
		t.Errorf("Alive(self) = false")
	}
	exe, _ := os.Executable()
	if !Runs(Root, self, filepath.Base(exe)) {
		t.Errorf("Runs(self, %q) = false; cmdline %q", filepath.Base(exe), Cmdline(Root, self))
	}
	if Runs(Root, self, "osm") {
		t.Errorf("Runs(self, osm) = true")
	}
	st, err := Started(Root, self, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(st); d < -time.Second || d > 10*time.Minute {
		t.Errorf("Started(self) = %v, %v ago", st, d)
	}

	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	// Not waited for yet: a zombie once it has exited.
	if !poll.Wait(poll.Timeout, func() bool { return !Alive(Root, pid) }) {
		t.Errorf("Alive(exited child %d) = true", pid)
	}
	cmd.Wait()
	if Alive(Root, pid) || Runs(Root, pid, "true") {
		t.Errorf("reaped child %d still alive", pid)
	}
	for _, p := range []int{0, -1} {
		if Alive(Root, p) {
			t.Errorf("Alive(%d) = true", p)
		}
	}
}

// TestFixtureTree: a fixture proc tree with odd contents gives errors,
// not panics.
func TestFixtureTree(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "5"), 0o755)
	os.WriteFile(filepath.Join(root, "5/stat"), []byte("5 (osm) S 1 5 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 250 0 0"), 0o644)
	os.WriteFile(filepath.Join(root, "5/cmdline"), []byte("/LuoYun/bin/osm\x00-c\x00x\x00"), 0o644)
	os.WriteFile(filepath.Join(root, "uptime"), []byte("1000.50 1900.00\n"), 0o644)
	if !Alive(root, 5) || !Runs(root, 5, "osm") || Runs(root, 5, "web") {
		t.Errorf("fixture pid 5: Alive %v Runs(osm) %v Runs(web) %v", Alive(root, 5), Runs(root, 5, "osm"), Runs(root, 5, "web"))
	}
	now := time.Unix(1700000000, 0)
	st, err := Started(root, 5, now)
	if want := now.Add(-998 * time.Second); err != nil || !st.Equal(want) { // ran 1000.5 s - 2.5 s
		t.Errorf("Started = %v, %v; want %v", st, err, want)
	}
	os.WriteFile(filepath.Join(root, "uptime"), []byte("soon\n"), 0o644)
	if _, err := Started(root, 5, now); err == nil || !strings.Contains(err.Error(), "uptime") {
		t.Errorf("Started with a bad uptime: %v", err)
	}
}
