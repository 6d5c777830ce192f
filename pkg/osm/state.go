package osm

import (
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/osmstate"
)

// setPhase records a phase change; controller "" keeps the known one.
func (a *Agent) setPhase(phase, controller string) {
	a.update(func(s *osmstate.State) {
		if s.Phase != phase {
			s.Phase, s.Since = phase, a.cfg.Clock.Now()
		}
		if controller != "" {
			s.Controller = controller
		}
	})
}

// registered records the registration, then lets the first status run
// go: the state file says "registered" before the status script starts
// (it may read the file; TestFirstStatusAfterRegistration).
func (a *Agent) registered(controller, ip string) {
	a.update(func(s *osmstate.State) {
		s.Phase, s.Since, s.Controller, s.LocalIP, s.LastError = osmstate.Registered, a.cfg.Clock.Now(), controller, ip, ""
	})
	a.triedFirst()
}

func (a *Agent) backingOff(err error) {
	a.update(func(s *osmstate.State) {
		s.Phase, s.Since = osmstate.BackingOff, a.cfg.Clock.Now()
		if err != nil {
			s.LastError = err.Error()
		}
	})
}

func (a *Agent) reported(status int32) {
	a.update(func(s *osmstate.State) {
		s.LastReport, s.LastReportAt = int(status), a.cfg.Clock.Now()
	})
	a.mu.Lock()
	a.last = status
	a.mu.Unlock()
}

// update changes the state and writes the state file, logging a write
// failure once until it succeeds again. The registrar and the status loop
// both update it: wmu keeps the writes in the order of the changes, so
// the file never ends on an older state than the agent's (a status result
// written after "stopped" would say the agent is still discovering).
func (a *Agent) update(f func(*osmstate.State)) {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	a.mu.Lock()
	f(&a.state)
	s := a.state
	a.mu.Unlock()
	if a.cfg.StateFile == "" {
		return
	}
	err := osmstate.Write(a.cfg.StateFile, s)
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case err != nil && err.Error() != a.stateErr:
		a.log.Warn("cannot write the state file", logging.Error(err))
		a.stateErr = err.Error()
	case err == nil:
		a.stateErr = ""
	}
}
