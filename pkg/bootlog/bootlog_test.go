package bootlog

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseReady(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Ready
		ok   bool
	}{
		{Listening("127.0.0.1:8080"), Ready{Addr: "127.0.0.1:8080"}, true},
		{Running(42), Ready{PID: 42}, true},
		{AlreadyRunning(7), Ready{PID: 7, Already: true}, true},
		{"listening addr=", Ready{}, false},
		{"listening addr=a b", Ready{}, false},
		{"running pid=x", Ready{}, false},
		{"running pid=-1", Ready{}, false},
		{"web: starting", Ready{}, false},
	} {
		got, ok := ParseReady(tc.line)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseReady(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
	if !IsReady(Listening("x")) || !IsReady(Running(1)) || IsReady(AlreadyRunning(1)) {
		t.Error("IsReady")
	}
}

func TestOwnLine(t *testing.T) {
	for _, tc := range []struct {
		name, line, text string
		warning          bool
	}{
		{"osc", "osc: osc: warning: ignoring a mistake", "ignoring a mistake", true},
		{"osc", "shadow: changed", "shadow: changed", false},
		{"web", "webssh: warning: x", "webssh: warning: x", false},
		{"", "warning: y", "y", true},
	} {
		text, w := OwnLine(tc.name, tc.line)
		if text != tc.text || w != tc.warning {
			t.Errorf("OwnLine(%q, %q) = %q, %v", tc.name, tc.line, text, w)
		}
	}
}

// TestRecordAndLog: what Record and Log write, ParseBoot and
// ParseLogLine read back.
func TestRecordAndLog(t *testing.T) {
	dir := t.TempDir()
	r := Record{Path: filepath.Join(dir, BootFile)}
	at := time.UnixMilli(1795458214025)
	r.Begin(at, "/LuoYun")
	r.Add("floppy", at.Add(time.Millisecond), OK, "updated"+Warned(2)+"\nsecond line")
	r.Add("boot", at.Add(2*time.Millisecond), OK, "started")
	data, _ := os.ReadFile(r.Path)
	b, err := ParseBoot(data)
	if err != nil || b.Outcome != OK || len(b.Steps) != 1 || b.Steps[0].Message != "updated (2 warnings in log/osmanager.log)" || !b.Started.Equal(at) {
		t.Errorf("ParseBoot(%q) = %+v, %v", data, b, err)
	}
	if err := (Record{}).Add("x", at, OK, ""); err != nil {
		t.Errorf("the empty Record: %v", err)
	}

	l := &Log{File: filepath.Join(dir, "osmanager.log"), Now: func() time.Time { return at }}
	l.Lines(Error, "osc: ", "one\n\ntwo\n")
	data, _ = os.ReadFile(l.File)
	if want := LogLine(at, Error, "osc: one") + LogLine(at, Error, "osc: two"); string(data) != want {
		t.Errorf("log = %q, want %q", data, want)
	}
	if l.Errors != 1 {
		t.Errorf("Errors = %d", l.Errors)
	}
	got, level, msg, ok := ParseLogLine(LogLine(at, Warn, "web: x"))
	if !ok || !got.Equal(at) || level != Warn || msg != "web: x" {
		t.Errorf("ParseLogLine = %v %q %q %v", got, level, msg, ok)
	}
	for _, bad := range []string{"", "2026-11-21 10:00:00,123 [DEBUG] x", "2026-11-21 10:00:00,123 INFO x", "x"} {
		if _, _, _, ok := ParseLogLine(bad); ok {
			t.Errorf("ParseLogLine(%q) ok", bad)
		}
	}
}

func FuzzParseReady(f *testing.F) {
	f.Add("listening addr=127.0.0.1:8080")
	f.Add("running pid=12")
	f.Add("already running pid=3")
	f.Fuzz(func(t *testing.T, l string) {
		r, ok := ParseReady(l)
		if !ok {
			return
		}
		var again string
		switch {
		case r.Addr != "":
			again = Listening(r.Addr)
		case r.Already:
			again = AlreadyRunning(r.PID)
		default:
			again = Running(r.PID)
		}
		if r2, ok := ParseReady(again); !ok || r2 != r {
			t.Errorf("%q -> %+v -> %q -> %+v", l, r, again, r2)
		}
	})
}

func FuzzParseLogLine(f *testing.F) {
	f.Add("2026-11-21 10:00:00,123 [INFO] osmanager: started")
	f.Fuzz(func(t *testing.T, l string) {
		at, level, msg, ok := ParseLogLine(l)
		if !ok {
			return
		}
		if _, _, m2, ok := ParseLogLine(LogLine(at, level, msg)); !ok || m2 != msg {
			t.Errorf("round trip of %q", l)
		}
	})
}
