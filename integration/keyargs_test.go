package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKeyNotInProcessList: with the chain and the controller simulator
// running, none of their processes has the KEY on its command line
// (`osm clc` takes it from a file, as osm does). Only the sandbox's own
// processes are looked at: other sandboxes on the machine use the KEY too.
func TestKeyNotInProcessList(t *testing.T) {
	s := newSandbox(t, time.Second)
	if r := s.osmanager(t, "start"); r.code != 0 {
		t.Fatalf("start = exit %d:\n%s", r.code, r.out)
	}
	sim := fmt.Sprintf("/proc/%d/cmdline", s.clc.cmd.Process.Pid)
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	ours := 0
	for _, p := range cmdlines {
		data, err := os.ReadFile(p)
		if err != nil || p != sim && !strings.Contains(string(data), s.dir) {
			continue // gone meanwhile, or another sandbox's
		}
		ours++
		if strings.Contains(string(data), e2eKey) {
			t.Errorf("%s shows the KEY: %q", p, strings.ReplaceAll(string(data), "\x00", " "))
		}
	}
	if ours < 4 { // the simulator, web, webssh, osm
		t.Errorf("found %d processes of the sandbox, want the simulator and the three daemons", ours)
	}
}
