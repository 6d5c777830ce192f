// Package memtrim gives back, once a daemon is ready, the memory that only
// its start-up needed: the pages of its own executable that start-up
// mapped and the idle daemon does not use; and then, every so often, the
// Go heap's garbage and the pages mapped again since.
//
// Go's start-up (the runtime, about a hundred package initialisers, flag
// and settings parsing, the first listen) touches code and read-only data
// all over the binary, and the kernel's fault-around maps 64 KiB of page
// cache around every fault: after start-up nearly the whole file is in the
// process's page tables and counts in its RSS and PSS, though an idle
// daemon runs a small part of it. Trim drops the executable's read-only
// mappings from the page tables with madvise(MADV_DONTNEED); the pages
// stay in the page cache, and what the daemon runs again comes back with a
// minor fault. Writable mappings are never touched (their private copies
// would be lost), nor a read-only mapping holding private (anonymous)
// pages, nor any mapping of another file.
//
// An idle daemon still works now and then (osm runs the status script
// every 5 s, which asks web for its page), and each time it allocates a
// little. The Go runtime collects only once the heap reaches 4 MB (or two
// minutes after its previous collection), and keeps the freed pages: left
// alone, osm and web grow by megabytes over their first minutes. So after
// the first trim, every interval (settings memory.trim_interval), a
// daemon whose heap has allocated MinGarbage since the previous round
// collects its heap, returns its free pages to the system
// (debug.FreeOSMemory) and trims its binary again (Collect).
package memtrim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Delay is how long after a daemon is ready it trims: long enough for the
// first listen, the first request and the first status report to be done.
const Delay = 2 * time.Second

// Result is what one Trim or Collect gave back, in kB unless said
// otherwise.
type Result struct {
	// Collected is true for Collect: the heap was collected and its free
	// pages returned before the trim.
	Collected bool
	// Mappings is how many read-only mappings of the executable were
	// advised.
	Mappings int
	// ExeBefore and ExeAfter are the resident size of those mappings.
	ExeBefore, ExeAfter int
	// RssBefore, RssAfter, PssBefore, PssAfter, AnonBefore and AnonAfter
	// are the whole process's.
	RssBefore, RssAfter, PssBefore, PssAfter, AnonBefore, AnonAfter int
	// Took is how long it took, reading smaps twice included.
	Took time.Duration
}

// String sums a trim up in one line.
func (r Result) String() string {
	return fmt.Sprintf("memory trim (heap collected: %t, %s): the binary's read-only pages %d -> %d kB resident (%d mappings); process Rss %d -> %d kB, Pss %d -> %d kB, Anonymous %d -> %d kB",
		r.Collected, r.Took.Round(10*time.Microsecond), r.ExeBefore, r.ExeAfter, r.Mappings, r.RssBefore, r.RssAfter, r.PssBefore, r.PssAfter, r.AnonBefore, r.AnonAfter)
}

// MinGarbage is how much the heap must have allocated since the previous
// round for Collect to run again: a daemon that did (nearly) nothing
// skips the round, keeps what little is mapped, and never pays for the
// collector's first run (about 0.7 MB of the runtime's own memory, which
// a Go program that never collects never allocates: webssh with nobody
// logged in).
const MinGarbage = 64 << 10

// After trims once (Trim), delay after it is called, then, when every is
// positive, every that long collects and trims again (Collect) if the
// heap has allocated MinGarbage since the previous round; all in a
// goroutine of its own, until ctx ends. report gets each outcome (from
// that goroutine); after an error it stops, since what could not be read
// or advised once (no /proc, a kernel refusing the advice) fails again.
func After(ctx context.Context, delay, every time.Duration, report func(Result, error)) {
	go func() {
		if !sleep(ctx, delay) {
			return
		}
		r, err := Trim()
		report(r, err)
		if err != nil || every <= 0 {
			return
		}
		allocs := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
		allocated := func() uint64 {
			metrics.Read(allocs)
			if allocs[0].Value.Kind() != metrics.KindUint64 {
				return math.MaxUint64 // unknown to this runtime: collect every round
			}
			return allocs[0].Value.Uint64()
		}
		last := allocated()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if now := allocated(); now != math.MaxUint64 && now-last < MinGarbage {
				continue
			}
			r, err := Collect()
			report(r, err)
			if err != nil {
				return
			}
			last = allocated()
		}
	}()
}

// sleep waits d, or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Trim drops the running executable's read-only mappings from this
// process's page tables with madvise(MADV_DONTNEED). (MADV_PAGEOUT was
// measured and not kept: no gain for one daemon, and it skips the pages
// the other processes of a one-binary install map.) It does not collect
// the Go heap: just after start-up, measured on web, the forced
// collection's own memory (its workers, mark bits) and the collector's
// code faulting back cost 0.3-0.5 MB of anonymous memory and 0.5 MB of
// the binary's pages, more than the 0.1 MB of heap it returned; later,
// Collect does. An error says what could not be read or advised; the
// process goes on either way, at worst with its pages still mapped.
func Trim() (Result, error) { return trim(false) }

// Collect collects the Go heap and returns its free pages to the system
// (debug.FreeOSMemory), then trims as Trim does: what an idle daemon does
// every settings memory.trim_interval, once the garbage of its periodic
// work and the code it ran have built up again.
func Collect() (Result, error) { return trim(true) }

func trim(collect bool) (Result, error) {
	start := time.Now()
	r := Result{Collected: collect}
	exe, err := exeID()
	if err != nil {
		return r, err
	}
	maps, err := readSmaps()
	if err != nil {
		return r, err
	}
	r.RssBefore, r.PssBefore, r.AnonBefore = totals(maps)
	if collect {
		debug.FreeOSMemory()
	}
	targets := ExeReadOnly(maps, exe)
	if len(targets) == 0 {
		return r, errors.New("memory trim: no read-only mapping of the running executable in /proc/self/smaps")
	}
	for _, m := range targets {
		r.ExeBefore += m.Rss
		if err := madvise(m, unix.MADV_DONTNEED); err != nil {
			return r, err
		}
		r.Mappings++
	}
	after, err := readSmaps()
	if err != nil {
		return r, err
	}
	r.RssAfter, r.PssAfter, r.AnonAfter = totals(after)
	for _, m := range ExeReadOnly(after, exe) {
		r.ExeAfter += m.Rss
	}
	r.Took = time.Since(start)
	return r, nil
}

// File identifies a file by device and inode, as /proc/PID/maps does.
type File struct {
	Major, Minor uint32
	Inode        uint64
}

// ExeReadOnly returns the mappings of maps that Trim may drop: those of
// the file exe (by device and inode, so a binary renamed over or removed,
// " (deleted)" in its path, is still found, and another file of the same
// name is not), neither writable nor holding private (anonymous) pages.
func ExeReadOnly(maps []Mapping, exe File) []Mapping {
	var out []Mapping
	for _, m := range maps {
		if m.Inode != exe.Inode || m.Major != exe.Major || m.Minor != exe.Minor || m.Inode == 0 {
			continue
		}
		if m.Writable() || m.Anonymous > 0 || m.End <= m.Start {
			continue
		}
		out = append(out, m)
	}
	return out
}

// exeID returns the running executable's device and inode.
func exeID() (File, error) {
	fi, err := os.Stat("/proc/self/exe")
	if err != nil {
		return File{}, fmt.Errorf("memory trim: the running executable: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return File{}, errors.New("memory trim: the running executable: no device and inode")
	}
	return File{Major: unix.Major(st.Dev), Minor: unix.Minor(st.Dev), Inode: st.Ino}, nil
}

// readSmaps reads /proc/self/smaps a line at a time through one buffer.
func readSmaps() ([]Mapping, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return nil, fmt.Errorf("memory trim: %w", err)
	}
	defer f.Close()
	var p smapsParser
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 8<<10), 64<<10)
	for sc.Scan() {
		p.line(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("memory trim: /proc/self/smaps: %w", err)
	}
	return p.out, nil
}

// totals sums the mappings' Rss, Pss and Anonymous: the process's, as
// smaps_rollup gives them.
func totals(maps []Mapping) (rss, pss, anon int) {
	for _, m := range maps {
		rss += m.Rss
		pss += m.Pss
		anon += m.Anonymous
	}
	return rss, pss, anon
}

func madvise(m Mapping, advice int) error {
	_, _, e := unix.Syscall(unix.SYS_MADVISE, uintptr(m.Start), uintptr(m.End-m.Start), uintptr(advice))
	if e != 0 {
		return fmt.Errorf("memory trim: madvise %#x-%#x %s %s: %w", m.Start, m.End, m.Perms, m.Path, e)
	}
	return nil
}
