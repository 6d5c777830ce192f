package health

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteJSON writes the report as one indented JSON object. encoding/json
// escapes every string, so the output is well-formed whatever the files
// held.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	return nil
}

// stamp is how times are shown: local, to the second.
const stamp = "2006-01-02 15:04:05"

// WriteText writes the report for a person: the version, the boot's steps, a line per
// daemon ("web: running (pid 301, up 2h03m, listening 127.0.0.1:8080)"
// or "web: not running (...)"), then the registrar's state.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	loc := r.Time.Location()
	at := func(t time.Time) string { return t.In(loc).Format(stamp) }
	fmt.Fprintf(&b, "version: %s\n", r.Version)
	if r.Boot != nil {
		outcome := r.Boot.Outcome
		switch {
		case r.Boot.Finished.IsZero():
			outcome = "in progress, or cut short"
		case outcome == OK:
			outcome = "ok, finished " + at(r.Boot.Finished)
		default:
			outcome += ", finished " + at(r.Boot.Finished)
		}
		if r.Boot.Started.IsZero() {
			fmt.Fprintf(&b, "boot: %s\n", outcome)
		} else {
			fmt.Fprintf(&b, "boot: started %s: %s\n", at(r.Boot.Started), outcome)
		}
		for _, s := range r.Boot.Steps {
			fmt.Fprintf(&b, "  %-7s %s  %-8s %s\n", s.Name, s.At.In(loc).Format("15:04:05.000"), s.Outcome, s.Message)
		}
	} else {
		b.WriteString("boot: no record (run/boot): osmanager.sh start has not run in this tree\n")
	}
	for _, d := range r.Daemons {
		if !d.Running {
			fmt.Fprintf(&b, "%s: not running", d.Name)
			if d.LastOutput != "" {
				fmt.Fprintf(&b, " (last output: %s)", d.LastOutput)
			}
			b.WriteString("\n")
			continue
		}
		parts := []string{fmt.Sprintf("pid %d", d.PID)}
		if !d.Started.IsZero() {
			parts = append(parts, "up "+uptime(time.Duration(d.UptimeSeconds)*time.Second))
		}
		if len(d.Listen) > 0 {
			parts = append(parts, "listening "+strings.Join(d.Listen, " "))
			if d.PortFrom != "" {
				parts = append(parts, portText(d))
			}
		} else if d.Name != "osm" {
			parts = append(parts, "not listening")
		}
		fmt.Fprintf(&b, "%s: running (%s)\n", d.Name, strings.Join(parts, ", "))
	}
	if o := r.OSM; o != nil {
		fmt.Fprintf(&b, "osm state: %s", o.State)
		if !o.Since.IsZero() && o.State != "stopped" {
			fmt.Fprintf(&b, " since %s", at(o.Since))
		}
		if o.Controller != "" {
			fmt.Fprintf(&b, ", controller %s", o.Controller)
		}
		fmt.Fprintf(&b, ", TAG %d\n", o.Tag)
		if o.LastError != "" {
			fmt.Fprintf(&b, "osm last error: %s\n", o.LastError)
		}
		fmt.Fprintf(&b, "osm last report: ")
		if o.LastReport == 0 {
			b.WriteString("none\n")
		} else {
			fmt.Fprintf(&b, "%d (%s) at %s\n", o.LastReport, o.LastReportText, at(o.LastReportAt))
		}
		if o.Status != 0 {
			fmt.Fprintf(&b, "status script: %d since %s", o.Status, at(o.StatusSince))
			if o.StatusOutput != "" {
				fmt.Fprintf(&b, ", output: %s", cleanLine(o.StatusOutput, maxMessage+3))
			}
			b.WriteString("\n")
		}
	}
	r.Identity.writeText(&b)
	for _, p := range r.SettingsProblems {
		fmt.Fprintf(&b, "settings: %s\n", cleanLine(p, maxMessage))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", cleanLine(n, maxMessage))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// portText says where a daemon's port comes from.
func portText(d Daemon) string {
	if d.PortNote != "" {
		return "port from " + d.PortFrom + ": " + d.PortNote
	}
	return "port from " + d.PortFrom
}

// uptime shows a duration as "45s", "12m05s", "2h03m" or "3d04h".
func uptime(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	default:
		return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
	}
}
