// Package bootlog is the boot chain's contract between programs: the
// daemons' ready and warning lines, the run/boot record that status
// reads, and the lines of log/osmanager.log. Each has its constants, a
// writer and a parser here, and nowhere else.
package bootlog

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// BootFile is the boot record under the tree's run/ directory.
const BootFile = "boot"

// Outcomes of a boot step.
const (
	OK      = "ok"
	Warning = "warning"
	Failed  = "failed"
	Skipped = "skipped"
)

// Boot is the record of the last `osmanager.sh start` (or osconfig):
// run/boot, one line per step, appended as each step ends:
//
//	STEP UNIX-MILLISECONDS OUTCOME MESSAGE...
//
// "boot ... started TREE" opens it and "boot ... ok|failed ..." closes
// it. A reader may find it half-way: a last line without its newline is
// still being written and is ignored.
type Boot struct {
	// Started is when the boot began (its "boot ... started" line).
	Started time.Time `json:"started,omitzero"`
	// Finished is when it ended; zero while it runs (or when it was
	// cut short).
	Finished time.Time `json:"finished,omitzero"`
	// Outcome is the whole boot's: ok or failed; "" while it runs.
	Outcome string `json:"outcome,omitempty"`
	// Steps are the steps in order: floppy, osc, config, then each
	// daemon's start (web, webssh, osm).
	Steps []Step `json:"steps"`
}

// Step is one step of the boot.
type Step struct {
	// Name is floppy, osc, config, web, webssh or osm.
	Name string `json:"name"`
	// At is when the step ended.
	At time.Time `json:"at"`
	// Outcome is ok, warning, failed or skipped.
	Outcome string `json:"outcome"`
	// Message is the step's one-line summary.
	Message string `json:"message"`
}

// maxSteps bounds what ParseBoot keeps of a damaged or hostile file.
const maxSteps = 64

// maxMillis is the last millisecond of year 9999: JSON has no later time.
const maxMillis = 253402300799999

// MaxMessage bounds one step's message.
const MaxMessage = 512

// ParseBoot reads a boot record. Lines it cannot read are skipped; it
// fails only when no line at all could be read.
func ParseBoot(data []byte) (Boot, error) {
	var b Boot
	text := string(data)
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = text[:i] // the rest is a line still being written
	} else {
		text = ""
	}
	read := 0
	for _, l := range strings.Split(text, "\n") {
		s, ok := parseStep(l)
		if !ok {
			continue
		}
		read++
		if s.Name == "boot" {
			if s.Outcome == "started" {
				b = Boot{Started: s.At} // a new boot: what came before is older
			} else {
				b.Finished, b.Outcome = s.At, s.Outcome
			}
			continue
		}
		if len(b.Steps) < maxSteps {
			b.Steps = append(b.Steps, s)
		}
	}
	if read == 0 {
		return Boot{}, errors.New("boot record: no step")
	}
	if b.Steps == nil {
		b.Steps = []Step{}
	}
	return b, nil
}

func parseStep(l string) (Step, bool) {
	f := strings.SplitN(strings.TrimRight(l, "\r"), " ", 4)
	if len(f) < 3 || !isWord(f[0]) || !isWord(f[2]) {
		return Step{}, false
	}
	ms, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || ms < 0 || ms > maxMillis {
		return Step{}, false
	}
	s := Step{Name: f[0], At: time.UnixMilli(ms), Outcome: f[2]}
	if len(f) == 4 {
		s.Message = CleanLine(f[3], MaxMessage)
	}
	return s, true
}

// isWord reports whether s is a short lower-case word.
func isWord(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// CleanLine makes s one printable line of at most max bytes: invalid
// UTF-8 and control characters become U+FFFD or a space.
func CleanLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return ' '
		case unicode.IsControl(r):
			return '\uFFFD'
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}
