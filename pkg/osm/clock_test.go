package osm

import (
	"testing"
	"time"

	"github.com/luoyun/osmanager/pkg/clcsim"
	"github.com/luoyun/osmanager/pkg/clock"
	"github.com/luoyun/osmanager/pkg/osmstate"
)

// pastClock is the real clock with its Now a year back: timers run as
// usual, and a time stamped from it is told apart from time.Now().
type pastClock struct{ clock.Real }

const pastBy = 365 * 24 * time.Hour

func (pastClock) Now() time.Time { return time.Now().Add(-pastBy) }

// TestStateTimesFromClock: the state file's times (phase, report, status
// change, stop) come from Config.Clock.
func TestStateTimesFromClock(t *testing.T) {
	s := startSim(t, "127.0.0.1:0", clcsim.Config{Tag: testTag, QueryEvery: 50 * time.Millisecond, EchoEvery: 50 * time.Millisecond})
	e := newEnv(t, s.addr())
	e.cfg.Clock = pastClock{}
	e.start(t)
	s.ev.wait(t, clcsim.Registered, nil)
	s.ev.wait(t, clcsim.ReportEvent, nil)
	var st osmstate.State
	waitFor(t, "a report in the state file", func() bool {
		var err error
		st, err = osmstate.Read(e.state)
		return err == nil && st.Phase == osmstate.Registered && !st.LastReportAt.IsZero()
	})
	limit := time.Now().Add(-pastBy / 2)
	for name, at := range map[string]time.Time{"since": st.Since, "last_report_at": st.LastReportAt, "status_since": st.StatusSince} {
		if !at.Before(limit) {
			t.Errorf("%s = %v, want a time of the agent's clock (a year back)", name, at)
		}
	}
	e.stop(t)
	if st, _ := osmstate.Read(e.state); st.Phase != osmstate.Stopped || !st.Since.Before(limit) {
		t.Errorf("state after stop: %q since %v, want stopped since a time of the agent's clock", st.Phase, st.Since)
	}
}
