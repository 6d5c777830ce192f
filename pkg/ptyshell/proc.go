package ptyshell

import (
	"os"
	"strconv"

	"github.com/luoyun/osmanager/pkg/procinfo"
)

// proc identifies a process across pid reuse by its start time.
type proc struct {
	pid   int
	start uint64
}

// alive reports whether the same process (same start time) still exists.
func (p proc) alive() bool {
	st, ok := readStat(p.pid)
	return ok && st.start == p.start
}

type stat struct {
	ppid, sid int
	start     uint64
}

// readStat reads the fields of /proc/PID/stat that matter here.
func readStat(pid int) (stat, bool) {
	st, err := procinfo.ReadStat(procinfo.Root, pid)
	if err != nil {
		return stat{}, false
	}
	return stat{ppid: st.PPID, sid: st.Session, start: st.StartTicks}, true
}

// sessionProcs lists the processes in session sid and all descendants of
// process sid (login's shell starts a session of its own), except sid.
func sessionProcs(sid int) []proc {
	ents, err := os.ReadDir(procinfo.Root)
	if err != nil {
		return nil
	}
	all := map[int]stat{}
	children := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, ok := readStat(pid)
		if !ok {
			continue
		}
		all[pid] = st
		children[st.ppid] = append(children[st.ppid], pid)
	}
	seen := map[int]bool{sid: true}
	var out []proc
	add := func(pid int) {
		if !seen[pid] {
			seen[pid] = true
			out = append(out, proc{pid: pid, start: all[pid].start})
		}
	}
	for pid, st := range all {
		if st.sid == sid {
			add(pid)
		}
	}
	// Descendants, breadth first from sid and from the session members.
	queue := []int{sid}
	for _, p := range out {
		queue = append(queue, p.pid)
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			if !seen[c] {
				add(c)
				queue = append(queue, c)
			}
		}
	}
	return out
}
