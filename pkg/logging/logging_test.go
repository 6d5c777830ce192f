package logging

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/luoyun/osmanager/internal/poll"
)

var lineRE = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[(INFO|DEBUG|WARNING|ERROR)\] `)

func TestFileLineShape(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log", "luoyun.log")
	log, done, err := New(Options{File: p, MaxSizeMB: 1, MaxBackups: 1})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("registered", zap.Int("tag", 42))
	log.Warn("slow")
	log.Debug("hidden at info level")
	done()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), data)
	}
	for _, l := range lines {
		if !lineRE.MatchString(l) {
			t.Errorf("line %q does not have the original's shape", l)
		}
	}
	if !strings.HasSuffix(lines[0], "[INFO] registered tag=42") && !strings.Contains(lines[0], `[INFO] registered {"tag": 42}`) {
		t.Errorf("line = %q", lines[0])
	}
	if !strings.Contains(lines[1], "[WARNING] slow") {
		t.Errorf("line = %q", lines[1])
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.log")
	log, done, err := New(Options{File: p, MaxSizeMB: 1, MaxBackups: 1})
	if err != nil {
		t.Fatal(err)
	}
	msg := strings.Repeat("x", 1000)
	for i := 0; i < 3000; i++ { // ~3 MiB: two rotations
		log.Info(msg)
	}
	done()
	// lumberjack removes old backups asynchronously; poll briefly.
	var files []string
	if !poll.Wait(poll.Timeout, func() bool {
		ents, _ := os.ReadDir(dir)
		files = files[:0]
		for _, e := range ents {
			files = append(files, e.Name())
		}
		return len(files) == 2
	}) {
		t.Fatalf("files after rotation = %v, want the log and one backup", files)
	}
	st, err := os.Stat(p)
	if err != nil || st.Size() > 1<<20 {
		t.Errorf("current log size = %v, %v; want <= 1 MiB", st, err)
	}
}

func TestDebugToStdout(t *testing.T) {
	var buf bytes.Buffer
	log, done, err := New(Options{Debug: true, Stdout: &buf})
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("details")
	done()
	if !lineRE.MatchString(buf.String()) || !strings.Contains(buf.String(), "[DEBUG] details") {
		t.Errorf("stdout = %q", buf.String())
	}
}

func TestBadPath(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := New(Options{File: filepath.Join(f, "sub", "x.log")}); err == nil {
		t.Error("New under a regular file succeeded")
	}
	if _, _, err := New(Options{}); err == nil {
		t.Error("New with no file succeeded")
	}
}

func TestFlushEvery(t *testing.T) {
	p := filepath.Join(t.TempDir(), "web.log")
	log, done, err := New(Options{File: p, MaxSizeMB: 1, MaxBackups: 1, FlushEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("request", zap.Int("status", 200))
	if data, _ := os.ReadFile(p); len(data) != 0 {
		t.Errorf("buffered line written at once: %q", data)
	}
	done()
	data, err := os.ReadFile(p)
	if err != nil || !strings.Contains(string(data), "[INFO] request") {
		t.Errorf("after close: %q, %v; want the buffered line", data, err)
	}
}
