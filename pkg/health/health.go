// Package health gathers the instance's health in one place, for
// `osmanager.sh status` (through `osm status`): the steps of the last boot
// and their outcomes (run/boot), each daemon's process (run/NAME.pid
// checked against /proc: running or not, pid, uptime, listen addresses,
// its last output when it is not running), and the registrar's state
// (run/osm.json, read as stopped when its osm no longer runs) with the
// last report and the status script's last output. Missing or damaged
// files give empty parts and a note, never an error or a panic.
package health

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/luoyun/osmanager/pkg/bootlog"
	pidfile "github.com/luoyun/osmanager/pkg/daemon"
	"github.com/luoyun/osmanager/pkg/osmstate"
	"github.com/luoyun/osmanager/pkg/procinfo"
	"github.com/luoyun/osmanager/pkg/release"
)

// Daemons are the tree's long-running components, in start order.
var Daemons = []string{"web", "webssh", "osm"}

// Options says where to look.
type Options struct {
	// Dir is the tree (/LuoYun).
	Dir string
	// StateFile is the registrar's state file; Dir/run/osm.json when "".
	StateFile string
	// ProcRoot is the proc file system; procinfo.Root when "".
	ProcRoot string
	// Names are the daemons to report; Daemons when empty.
	Names []string
	// Now is the time uptimes are counted to; time.Now() when zero.
	Now time.Time
	// Settings is the settings file whose mistakes are reported;
	// Dir/custom/osmanager.toml when "".
	Settings string
}

// Report is the instance's health. Its JSON keys are documented in
// docs/integration.md.
type Report struct {
	// Dir is the tree.
	Dir string `json:"dir"`
	// Time is when the report was made.
	Time time.Time `json:"time"`
	// Version is the release and commit of the binary that made the
	// report (the tree's bin/osm).
	Version release.Info `json:"version"`
	// Boot is the last boot's record; nil when there is none.
	Boot *Boot `json:"boot"`
	// Daemons are the daemons asked about, in order.
	Daemons []Daemon `json:"daemons"`
	// OSM is the registrar's state; nil without a state file.
	OSM *OSM `json:"osm"`
	// Identity is the instance's own identity (SSH host keys), as osc
	// recorded it; nil without a record.
	Identity *Identity `json:"identity"`
	// SettingsProblems are the mistakes in the settings file, every
	// section's, for as long as they are in it.
	SettingsProblems []string `json:"settings_problems,omitempty"`
	// Notes are problems met while reading (a damaged file, ...).
	Notes []string `json:"notes"`
}

// Daemon is one daemon's process.
type Daemon struct {
	// Name is web, webssh or osm.
	Name string `json:"name"`
	// Running reports whether its pid file names our live process (its
	// identity beside the pid file matches).
	Running bool `json:"running"`
	// PID is its process id; 0 when not running.
	PID int `json:"pid,omitempty"`
	// Started is when the process started.
	Started time.Time `json:"started,omitzero"`
	// UptimeSeconds is how long it has run.
	UptimeSeconds int64 `json:"uptime_seconds,omitempty"`
	// Listen are the TCP addresses it listens on (web, webssh).
	Listen []string `json:"listen,omitempty"`
	// PortFrom says where webssh's port comes from: "cloud" (the JSON in
	// luoyun.conf), "settings" (the settings file or its default),
	// "option" (-p, LUOYUN_WEBSSH_PORT); PortNote names both ports when
	// the cloud's overrides the settings file's.
	PortFrom string `json:"port_from,omitempty"`
	PortNote string `json:"port_note,omitempty"`
	// LastOutput is the last line it wrote on stdout or stderr when
	// osmanager.sh started it (run/NAME.out), given when it is not
	// running: its reason for exiting, usually.
	LastOutput string `json:"last_output,omitempty"`
}

// OSM is the registrar's state as readers should see it.
type OSM struct {
	// State is its phase (osmstate): registered, connecting, ..., and
	// stopped when the osm that wrote the file no longer runs.
	State string `json:"state"`
	// Since is when it entered the phase the file records.
	Since time.Time `json:"since,omitzero"`
	// Controller is the controller's address.
	Controller string `json:"controller,omitempty"`
	// Tag is the instance's TAG.
	Tag int `json:"tag"`
	// LastError is the reason of the last failure.
	LastError string `json:"last_error,omitempty"`
	// LastReport is the last application status sent; 0 before the first.
	LastReport int `json:"last_report"`
	// LastReportText says what LastReport means.
	LastReportText string `json:"last_report_text"`
	// LastReportAt is when it was sent.
	LastReportAt time.Time `json:"last_report_at,omitzero"`
	// Status is the status script's latest result (reported or not).
	Status int `json:"status,omitempty"`
	// StatusOutput is the start of the status script's latest output.
	StatusOutput string `json:"status_output,omitempty"`
	// StatusSince is since when the script gives that result and output.
	StatusSince time.Time `json:"status_since,omitzero"`
}

// maxOut bounds what is read of a daemon's output file (its end).
const maxOut = 4096

// Collect gathers the report. It does not fail: what cannot be read is
// left out and noted.
func Collect(o Options) Report {
	if o.ProcRoot == "" {
		o.ProcRoot = procinfo.Root
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.StateFile == "" {
		o.StateFile = filepath.Join(o.Dir, "run", "osm.json")
	}
	names := o.Names
	if len(names) == 0 {
		names = Daemons
	}
	r := Report{Dir: o.Dir, Time: o.Now, Daemons: []Daemon{}, Notes: []string{}}
	r.Version = release.Get()
	note := func(format string, a ...any) { r.Notes = append(r.Notes, fmt.Sprintf(format, a...)) }
	run := filepath.Join(o.Dir, "run")

	if data, err := os.ReadFile(filepath.Join(run, BootFile)); err == nil {
		if b, err := ParseBoot(data); err == nil {
			r.Boot = &b
		} else {
			note("%s: %v", filepath.Join(run, BootFile), err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		note("%v", err)
	}
	for _, n := range names {
		r.Daemons = append(r.Daemons, daemon(o, run, n, note))
	}
	r.SettingsProblems = settingsProblems(o)
	if st, err := osmstate.Read(o.StateFile); err == nil {
		r.OSM = osmOf(st.Live(o.ProcRoot))
	} else if !errors.Is(err, fs.ErrNotExist) {
		note("%v", err)
	}
	r.Identity = readIdentity(o.Dir, note)
	return r
}

func daemon(o Options, run, name string, note func(string, ...any)) Daemon {
	d := Daemon{Name: name}
	pf := filepath.Join(run, name+".pid")
	pid, err := pidfile.Find(o.ProcRoot, pf)
	var stale *pidfile.StaleError
	if errors.As(err, &stale) {
		note("%s: %v", pf, stale)
	}
	if err == nil {
		d.Running, d.PID = true, pid
		if st, err := procinfo.Started(o.ProcRoot, pid, o.Now); err == nil {
			d.Started = st
			d.UptimeSeconds = max(int64(o.Now.Sub(st)/time.Second), 0)
		}
		if name != "osm" {
			if l, err := procinfo.Listening(o.ProcRoot, pid); err == nil {
				d.Listen = l
				if name == "webssh" {
					_, d.PortFrom, d.PortNote = portFrom(o.Dir, l)
				}
			} else {
				note("listen addresses of %s (pid %d): %v", name, pid, err)
			}
		}
		return d
	}
	d.LastOutput = lastWords(filepath.Join(run, name+".out"))
	return d
}

// lastWords returns the last line of a daemon's output file that is not
// its readiness line, or "".
func lastWords(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > maxOut {
		_, _ = f.Seek(st.Size()-maxOut, io.SeekStart)
	}
	data, _ := io.ReadAll(io.LimitReader(f, maxOut))
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		l := cleanLine(string(lines[i]), maxMessage)
		if l != "" && !bootlog.IsReady(l) {
			return l
		}
	}
	return ""
}

func osmOf(st osmstate.State) *OSM {
	return &OSM{
		State: st.Phase, Since: st.Since, Controller: st.Controller, Tag: st.Tag, LastError: cleanLine(st.LastError, maxMessage),
		LastReport: st.LastReport, LastReportText: osmstate.ReportText(st.LastReport), LastReportAt: st.LastReportAt,
		Status: st.Status, StatusOutput: st.StatusOutput, StatusSince: st.StatusSince,
	}
}

// AllRunning reports whether every daemon of the report runs.
func (r Report) AllRunning() bool {
	for _, d := range r.Daemons {
		if !d.Running {
			return false
		}
	}
	return true
}
