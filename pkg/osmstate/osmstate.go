// Package osmstate is the registrar's state file (/LuoYun/run/osm.json):
// written by osm on every change of state, read by operators and by the
// page server. It never holds the KEY.
package osmstate

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/luoyun/osmanager/pkg/atomicfile"
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
}

// Write replaces the state file atomically, mode 0644.
func Write(path string, s State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	data = append(data, '\n')
	if _, err := atomicfile.Write(path, data, atomicfile.Options{Mode: 0o644, ForceMode: true}); err != nil {
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
