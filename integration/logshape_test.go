package integration

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// logLine is the one line shape of log/osmanager.log.
var logLine = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[(INFO|WARN|ERROR)\] [a-z]+: \S`)

// TestBootLogOneShape (issue #14.3, #14.6): when floppyconf and osc warn
// (a settings mistake in [floppy], an ini line without '=', JSON=(null)),
// every line of osmanager.log and of start's output has the log's shape,
// and no line repeats a component's name ("osc: osc: ...",
// "floppy: floppyconf: ...").
func TestBootLogOneShape(t *testing.T) {
	s := newSandbox(t, 300*time.Millisecond)
	toml := filepath.Join(s.tree, "custom/osmanager.toml")
	text := strings.Replace(readFile(t, toml), "[floppy]\n", "[floppy]\ndevcie = \"/dev/fd1\"\n", 1)
	mustWrite(t, toml, text, 0o644)
	ini := fmt.Sprintf("CLC_IP=127.0.0.1\nCLC_PORT=%d\nTAG=%d\nKEY=%s\nno equals sign here\nJSON=(null)\n", s.clcPort, e2eTag, e2eKey)
	p := filepath.Join(s.dir, "warn.ini")
	mustWrite(t, p, ini, 0o600)
	if out, err := exec.Command(filepath.Join(binDir(t), "floppyconf"), "--make", s.floppy, "-i", p).CombinedOutput(); err != nil {
		t.Fatalf("floppyconf --make: %v\n%s", err, out)
	}
	r := s.osmanager(t, "start")
	log := readFile(t, filepath.Join(s.tree, "log/osmanager.log"))
	// The warnings are there (the test would prove nothing without them).
	for _, w := range []string{"[WARN] floppy: " + toml + " line ", "[WARN] floppy: luoyun.ini line 5: no '=' in the line",
		"[INFO] floppy: updated", "[WARN] osc: ignoring a mistake", "[WARN] osc: " + s.tree + "/conf/luoyun.conf line 6: JSON: not valid JSON", "[INFO] osc: done"} {
		if !strings.Contains(log, w) {
			t.Errorf("osmanager.log lacks %q:\n%s", w, log)
		}
	}
	boot := readFile(t, filepath.Join(s.tree, "run/boot"))
	for _, w := range []string{"floppy ", " ok updated (3 warnings in log/osmanager.log)", " ok done (2 warnings in log/osmanager.log)"} {
		if !strings.Contains(boot, w) {
			t.Errorf("run/boot lacks %q:\n%s", w, boot)
		}
	}
	doubled := regexp.MustCompile(`\] ([a-z]+): ([a-z]+): `)
	for what, text := range map[string]string{"osmanager.log": log, "start's output": r.out} {
		for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			if !logLine.MatchString(l) {
				t.Errorf("%s: line not in the log's shape: %q", what, l)
			}
			if m := doubled.FindStringSubmatch(l); m != nil && strings.HasPrefix(m[2], m[1]) {
				t.Errorf("%s: doubled prefix: %q", what, l)
			}
		}
	}
	if strings.Contains(log, e2eKey) || strings.Contains(log, e2eKey[:8]) {
		t.Errorf("osmanager.log quotes the KEY:\n%s", log)
	}
}
