// Package osmstate is the registrar's state file (/LuoYun/run/osm.json):
// written by osm on every change of state, read by operators and by the
// page server. It never holds the KEY. Readers take Live: a state whose
// registrar was killed says stopped, not what it said last.
package osmstate

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/luoyun/osmanager/pkg/atomicfile"
	"github.com/luoyun/osmanager/pkg/clcproto"
	"github.com/luoyun/osmanager/pkg/procinfo"
)

// Phases of the registrar.
const (
	Discovering    = "discovering"    // waiting for a multicast join from the controller
	Connecting     = "connecting"     // dialling the controller
	Authenticating = "authenticating" // mutual challenge in progress
	Registered     = "registered"     // registered; reporting status
	BackingOff     = "backing off"    // waiting before the next attempt
	Stopped        = "stopped"        // the registrar has exited
)

// State is the content of the state file.
type State struct {
	// Phase is one of the constants above.
	Phase string `json:"state"`
	// Since is when Phase was entered.
	Since time.Time `json:"since"`
	// Controller is the controller's address (ip:port), "" when unknown.
	Controller string `json:"controller,omitempty"`
	// Tag is the instance's TAG.
	Tag int `json:"tag"`
	// LocalIP is the instance's address on the controller connection.
	LocalIP string `json:"local_ip,omitempty"`
	// LastReport is the last application status sent (2000 + exit code,
	// 2128 unknown); 0 before the first report.
	LastReport int `json:"last_report,omitempty"`
	// LastReportAt is when LastReport was sent.
	LastReportAt time.Time `json:"last_report_at,omitzero"`
	// LastError is the reason of the last failure, "" when none.
	LastError string `json:"last_error,omitempty"`
	// PID is the registrar's process id.
	PID int `json:"pid"`
	// Status is the status script's latest result (2000 + exit code,
	// 2128 unknown), whether reported yet or not; 0 before its first run.
	Status int `json:"status,omitempty"`
	// StatusOutput is the start of that run's output, at most
	// MaxStatusOutput bytes of valid UTF-8.
	StatusOutput string `json:"status_output,omitempty"`
	// StatusSince is when the script first gave this result and output.
	StatusSince time.Time `json:"status_since,omitzero"`
}

// MaxStatusOutput bounds State.StatusOutput.
const MaxStatusOutput = 512

// SetStatus records a status script run: its result and the start of its
// output (trimmed, at most MaxStatusOutput bytes, invalid UTF-8 replaced).
func (s *State) SetStatus(status int32, output []byte, at time.Time) {
	out := strings.ToValidUTF8(strings.TrimSpace(string(output[:min(len(output), 4*MaxStatusOutput)])), "\uFFFD")
	if len(out) > MaxStatusOutput {
		cut := MaxStatusOutput
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = out[:cut] + "..."
	}
	s.Status, s.StatusOutput, s.StatusSince = int(status), out, at
}

// Running reports whether the registrar that wrote s still runs: its PID
// is a live process running osm (under the proc file system procRoot,
// procinfo.Root in production). A state without a PID cannot tell, and
// does not count as running.
func (s State) Running(procRoot string) bool {
	return s.PID > 0 && procinfo.Runs(procRoot, s.PID, "osm")
}

// Live returns s as it stands for readers: when the registrar that wrote
// it no longer runs (killed, so it could not write "stopped"), the phase
// is Stopped, whatever the file says.
func (s State) Live(procRoot string) State {
	if s.Phase != Stopped && !s.Running(procRoot) {
		s.Phase = Stopped
		s.Controller, s.LocalIP = "", ""
	}
	return s
}

// ReportText says what an application status means.
func ReportText(code int) string {
	switch {
	case code == 0:
		return "no report yet"
	case code == clcproto.AppRunning:
		return "application running"
	case code > clcproto.AppRunning && code < clcproto.AppUnknown:
		return fmt.Sprintf("application not serving (status script exit %d)", code-clcproto.AppRunning)
	case code == clcproto.AppUnknown:
		return "application status unknown (status script missing, killed or timed out)"
	default:
		return fmt.Sprintf("application status %d", code)
	}
}

// Write replaces the state file atomically, mode 0644, without fsync:
// it describes the running osm only, which rewrites it at start, and a
// sync at each phase change would delay the registration.
func Write(path string, s State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	data = append(data, '\n')
	if _, err := atomicfile.Write(path, data, atomicfile.Options{Mode: 0o644, ForceMode: true, NoSync: true}); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	return nil
}

// Read loads the state file.
func Read(path string) (State, error) {
	var s State
	data, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("state file: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("state file %s: %w", path, err)
	}
	return s, nil
}
