package bootlog

import (
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Levels of an osmanager.log line.
const (
	Info  = "INFO"
	Warn  = "WARN"
	Error = "ERROR"
)

// TimeLayout is the time of an osmanager.log line, as the components'
// logs write it: 2026-11-21 10:00:00,123.
const TimeLayout = "2006-01-02 15:04:05,000"

// LogLine is one line of osmanager.log: "TIME [LEVEL] MESSAGE".
func LogLine(at time.Time, level, msg string) string {
	return at.Format(TimeLayout) + " [" + level + "] " + msg + "\n"
}

// ParseLogLine reads a line that LogLine wrote.
func ParseLogLine(l string) (at time.Time, level, msg string, ok bool) {
	l = strings.TrimSuffix(l, "\n")
	if len(l) < len(TimeLayout)+3 {
		return time.Time{}, "", "", false
	}
	at, err := time.ParseInLocation(TimeLayout, l[:len(TimeLayout)], time.Local)
	if err != nil {
		return time.Time{}, "", "", false
	}
	rest, ok := strings.CutPrefix(l[len(TimeLayout):], " [")
	if !ok {
		return time.Time{}, "", "", false
	}
	level, msg, ok = strings.Cut(rest, "] ")
	if !ok || (level != Info && level != Warn && level != Error) {
		return time.Time{}, "", "", false
	}
	return at, level, msg, true
}

// Log writes osmanager.log lines to a file and a terminal at once.
type Log struct {
	// File is osmanager.log, written through W; "" writes none.
	File string
	// W writes to File (a rotating writer); nil opens File to append for
	// each batch of lines.
	W io.Writer
	// Out gets every line too (stdout); nil for none.
	Out io.Writer
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Errors counts the lines logged at ERROR.
	Errors int

	mu sync.Mutex
}

// Printf logs msg at level, now.
func (l *Log) Printf(level, msg string) { l.Lines(level, "", msg) }

// Lines logs each non-empty line of text at level with prefix, all with
// one time.
func (l *Log) Lines(level, prefix, text string) {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	at := now()
	var b strings.Builder
	for _, t := range strings.Split(text, "\n") {
		if t = strings.TrimRight(t, "\r"); t != "" {
			b.WriteString(LogLine(at, level, prefix+t))
		}
	}
	l.write(level, b.String())
}

func (l *Log) write(level, s string) {
	if s == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if level == Error {
		l.Errors++
	}
	if l.Out != nil {
		io.WriteString(l.Out, s)
	}
	if l.File == "" {
		return
	}
	if l.W != nil {
		io.WriteString(l.W, s)
		return
	}
	if f, err := os.OpenFile(l.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
		f.WriteString(s)
		f.Close()
	}
}
