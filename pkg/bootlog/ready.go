package bootlog

import (
	"strconv"
	"strings"
)

// The lines a daemon writes on stdout once it serves, and a --background
// start when the daemon already ran.
const (
	// ListeningPrefix begins web's and webssh's ready line.
	ListeningPrefix = "listening addr="
	// RunningPrefix begins osm's ready line.
	RunningPrefix = "running pid="
	// AlreadyPrefix begins the line of a start that found the daemon
	// running.
	AlreadyPrefix = "already running pid="
	// WarningPrefix begins a warning a program prints after its own
	// "NAME: ": a mistake it goes on without.
	WarningPrefix = "warning: "
)

// Listening is the ready line of a server listening on addr.
func Listening(addr string) string { return ListeningPrefix + addr }

// Running is the ready line of osm, pid.
func Running(pid int) string { return RunningPrefix + strconv.Itoa(pid) }

// AlreadyRunning is the line of a start that found pid running.
func AlreadyRunning(pid int) string { return AlreadyPrefix + strconv.Itoa(pid) }

// IsReady reports whether l is a ready line (Listening or Running).
func IsReady(l string) bool {
	return strings.HasPrefix(l, ListeningPrefix) || strings.HasPrefix(l, RunningPrefix)
}

// Ready is what a ready or already-running line says.
type Ready struct {
	// Addr is the listening address (web, webssh); "" for osm.
	Addr string
	// PID is the pid a Running or AlreadyRunning line gives; 0 otherwise.
	PID int
	// Already is set for an AlreadyRunning line.
	Already bool
}

// ParseReady reads a ready or already-running line.
func ParseReady(l string) (Ready, bool) {
	if a, ok := strings.CutPrefix(l, ListeningPrefix); ok && a != "" && !strings.ContainsAny(a, " \t") {
		return Ready{Addr: a}, true
	}
	for _, p := range []string{RunningPrefix, AlreadyPrefix} {
		if v, ok := strings.CutPrefix(l, p); ok {
			pid, err := strconv.Atoi(v)
			if err != nil || pid < 1 {
				return Ready{}, false
			}
			return Ready{PID: pid, Already: p == AlreadyPrefix}, true
		}
	}
	return Ready{}, false
}

// OwnLine returns a line of the program name's output without the
// "name: " it puts before its own messages (once, or twice from an older
// binary), and whether it is a warning (then without WarningPrefix).
func OwnLine(name, l string) (text string, warning bool) {
	for name != "" && strings.HasPrefix(l, name+": ") {
		l = l[len(name)+2:]
	}
	if w, ok := strings.CutPrefix(l, WarningPrefix); ok {
		return w, true
	}
	return l, false
}
