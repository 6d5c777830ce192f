// Package memtrim gives back, once a daemon is ready, the memory that only
// its start-up needed: the pages of its own executable that start-up
// mapped and the idle daemon does not use.
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
package memtrim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Delay is how long after a daemon is ready it trims: long enough for the
// first listen, the first request and the first status report to be done.
const Delay = 2 * time.Second

// Result is what one Trim gave back, in kB unless said otherwise.
type Result struct {
	// Mappings is how many read-only mappings of the executable were
	// advised.
	Mappings int
	// ExeBefore and ExeAfter are the resident size of those mappings.
	ExeBefore, ExeAfter int
	// RssBefore, RssAfter, PssBefore and PssAfter are the whole process's.
	RssBefore, RssAfter, PssBefore, PssAfter int
}

// String sums a trim up in one line.
func (r Result) String() string {
	return fmt.Sprintf("memory trim: the binary's read-only pages %d -> %d kB resident (%d mappings); process Rss %d -> %d kB, Pss %d -> %d kB",
		r.ExeBefore, r.ExeAfter, r.Mappings, r.RssBefore, r.RssAfter, r.PssBefore, r.PssAfter)
}

// After trims once, delay after it is called, in a goroutine of its own,
// unless ctx ends first; report gets Trim's outcome (from that goroutine).
func After(ctx context.Context, delay time.Duration, report func(Result, error)) {
	later(ctx, delay, func() { report(Trim()) })
}

// later runs f in a goroutine delay from now, unless ctx ends first.
func later(ctx context.Context, delay time.Duration, f func()) {
	go func() {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
			f()
		}
	}()
}

// Trim drops the running executable's read-only mappings from this
// process's page tables with madvise(MADV_DONTNEED). (MADV_PAGEOUT was
// measured and not kept: no gain for one daemon, and it skips the pages
// the other processes of a one-binary install map.) It does not collect the Go heap
// (debug.FreeOSMemory): measured on web, the forced collection's own
// memory (its workers, mark bits) and the collector's code faulting back
// cost 0.3-0.5 MB of anonymous memory and 0.5 MB of the binary's pages,
// more than the 0.1 MB of heap it returned. An error says what could not
// be read or advised; the process goes on either way, at worst with its
// pages still mapped.
func Trim() (Result, error) {
	var r Result
	exe, err := exeID()
	if err != nil {
		return r, err
	}
	maps, err := readSmaps()
	if err != nil {
		return r, err
	}
	r.RssBefore, r.PssBefore = totals(maps)
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
	r.RssAfter, r.PssAfter = totals(after)
	for _, m := range ExeReadOnly(after, exe) {
		r.ExeAfter += m.Rss
	}
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

// totals sums the mappings' Rss and Pss: the process's, as smaps_rollup
// gives them.
func totals(maps []Mapping) (rss, pss int) {
	for _, m := range maps {
		rss += m.Rss
		pss += m.Pss
	}
	return rss, pss
}

func madvise(m Mapping, advice int) error {
	_, _, e := unix.Syscall(unix.SYS_MADVISE, uintptr(m.Start), uintptr(m.End-m.Start), uintptr(advice))
	if e != 0 {
		return fmt.Errorf("memory trim: madvise %#x-%#x %s %s: %w", m.Start, m.End, m.Perms, m.Path, e)
	}
	return nil
}
