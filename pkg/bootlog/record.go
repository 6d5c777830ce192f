package bootlog

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Record appends to a boot record (see Boot). Each step is one short
// line written with one call, so that steps run together do not mix; a
// Record with an empty Path writes nothing.
type Record struct {
	// Path is the record file, run/boot.
	Path string
}

// Begin starts a new record (the old one is replaced): "boot MS started
// DIR".
func (r Record) Begin(at time.Time, dir string) error {
	if r.Path == "" {
		return nil
	}
	return os.WriteFile(r.Path, []byte(StepLine("boot", at, "started", dir)), 0o644)
}

// Add appends a step's outcome.
func (r Record) Add(name string, at time.Time, outcome, msg string) error {
	if r.Path == "" {
		return nil
	}
	f, err := os.OpenFile(r.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(StepLine(name, at, outcome, msg))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// StepLine is one line of the record: "STEP UNIX-MS OUTCOME MESSAGE",
// the message cut to its first line.
func StepLine(name string, at time.Time, outcome, msg string) string {
	msg, _, _ = strings.Cut(msg, "\n")
	line := name + " " + strconv.FormatInt(at.UnixMilli(), 10) + " " + outcome
	if msg != "" {
		line += " " + msg
	}
	return line + "\n"
}

// Warned is the suffix of a step's message that had n warnings: "" for
// none, " (1 warning in log/osmanager.log)", " (N warnings in ...)".
func Warned(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return " (1 warning in log/osmanager.log)"
	}
	return fmt.Sprintf(" (%d warnings in log/osmanager.log)", n)
}
