package bootcmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBootSteps: one osc boot runs several steps separated by ";" in
// order, starts consecutive daemons together (two that each wait for the
// other's file are both started), and "end" without FAILED records the
// steps' failure.
func TestBootSteps(t *testing.T) {
	dir := t.TempDir()
	prog := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// a and b are ready only once the other has begun: started one after
	// the other, the first would time out.
	daemon := func(me, other string) string {
		return prog(me, "touch "+filepath.Join(dir, me+".up")+"\nwhile [ ! -e "+filepath.Join(dir, other+".up")+
			" ]; do sleep 0.05; done\necho 'running pid=1'\n")
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"--dir", dir, "--record", "begin", ";",
		"run", "one", "--", prog("one", "echo first\n"), ";",
		"run", "two", "--", prog("two", "echo second; exit 1\n"), ";",
		"start", "a", "--timeout", "5s", "--", daemon("a", "b"), ";",
		"start", "b", "--timeout", "5s", "--", daemon("b", "a"), ";", "end"}, &out, nil)
	if err == nil {
		t.Errorf("a failed step: run = nil, want exit status 1:\n%s", &out)
	}
	log := out.String()
	i1, i2 := strings.Index(log, "one: first"), strings.Index(log, "two: second")
	if i1 < 0 || i2 < i1 {
		t.Errorf("steps not run in order:\n%s", log)
	}
	for _, want := range []string{"a: started", "b: started", "started, with failures"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	rec, err := os.ReadFile(filepath.Join(dir, "run", "boot"))
	if err != nil || !strings.Contains(string(rec), "boot ") || !strings.Contains(string(rec), " failed started, with failures") {
		t.Errorf("run/boot (%v):\n%s", err, rec)
	}
}
