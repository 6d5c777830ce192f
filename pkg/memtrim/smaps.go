package memtrim

import (
	"bytes"
	"strconv"
	"strings"
)

// Mapping is one memory mapping of /proc/PID/smaps (or /proc/PID/maps,
// which has no sizes).
type Mapping struct {
	// Start and End are the mapping's addresses, End excluded.
	Start, End uint64
	// Perms is the permission field, such as "r-xp".
	Perms string
	// Offset is where in the file the mapping starts.
	Offset uint64
	// Major and Minor are the device of the mapped file (0:0 for none).
	Major, Minor uint32
	// Inode is the mapped file's inode (0 for none).
	Inode uint64
	// Path is the mapped file, with " (deleted)" when it has been
	// removed or renamed over; "[heap]" and the like; "" for anonymous.
	Path string
	// Rss, Pss and Anonymous are the smaps sizes in kB (0 from maps).
	Rss, Pss, Anonymous int
}

// Writable reports whether the mapping may be written: its pages may be
// private copies that exist nowhere else.
func (m Mapping) Writable() bool { return len(m.Perms) > 1 && m.Perms[1] == 'w' }

// ParseSmaps reads the text of /proc/PID/smaps or /proc/PID/maps. Lines
// it cannot read are skipped: a size line before any mapping, a mapping
// line with a bad address range, permission or device field. It never
// panics, whatever the text.
func ParseSmaps(b []byte) []Mapping {
	var p smapsParser
	for len(b) > 0 {
		l := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			l, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		p.line(l)
	}
	return p.out
}

// smapsParser reads smaps a line at a time, allocating only for the
// mapping lines: Trim reads its own smaps, and what it allocates stays in
// its heap.
type smapsParser struct {
	out []Mapping
}

// sizeKeys are the smaps lines kept, by their start.
var sizeKeys = [...]string{"Rss:", "Pss:", "Anonymous:"}

func (p *smapsParser) line(l []byte) {
	if len(l) == 0 {
		return
	}
	if c := l[0]; ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') {
		// Mapping lines start with a lower-case hexadecimal address; the
		// size lines with a capital letter.
		if m, ok := parseMapLine(string(l)); ok {
			p.out = append(p.out, m)
		}
		return
	}
	if len(p.out) == 0 {
		return
	}
	for i, k := range sizeKeys {
		if !bytes.HasPrefix(l, []byte(k)) {
			continue
		}
		kb, ok := parseSize(l[len(k):])
		if !ok {
			return
		}
		cur := &p.out[len(p.out)-1]
		switch i {
		case 0:
			cur.Rss = kb
		case 1:
			cur.Pss = kb
		case 2:
			cur.Anonymous = kb
		}
		return
	}
}

// parseMapLine reads "start-end perms offset major:minor inode [path]".
func parseMapLine(l string) (Mapping, bool) {
	var m Mapping
	rest := l
	var f [5]string
	for i := range f {
		rest = strings.TrimLeft(rest, " \t")
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		f[i], rest = rest[:end], rest[end:]
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	if !ok {
		return m, false
	}
	var err error
	if m.Start, err = strconv.ParseUint(lo, 16, 64); err != nil {
		return m, false
	}
	if m.End, err = strconv.ParseUint(hi, 16, 64); err != nil || m.End < m.Start {
		return m, false
	}
	if len(f[1]) != 4 || strings.Trim(f[1], "rwxps-") != "" {
		return m, false
	}
	m.Perms = f[1]
	if m.Offset, err = strconv.ParseUint(f[2], 16, 64); err != nil {
		return m, false
	}
	maj, min, ok := strings.Cut(f[3], ":")
	if !ok {
		return m, false
	}
	ma, err1 := strconv.ParseUint(maj, 16, 32)
	mi, err2 := strconv.ParseUint(min, 16, 32)
	if err1 != nil || err2 != nil {
		return m, false
	}
	m.Major, m.Minor = uint32(ma), uint32(mi)
	if m.Inode, err = strconv.ParseUint(f[4], 10, 64); err != nil {
		return m, false
	}
	m.Path = strings.TrimLeft(rest, " \t")
	return m, true
}

// parseSize reads "   123 kB", the rest of a size line, without
// allocating.
func parseSize(b []byte) (kb int, ok bool) {
	b = bytes.TrimSpace(b)
	num, ok := bytes.CutSuffix(b, []byte("kB"))
	if !ok {
		return 0, false
	}
	num = bytes.TrimSpace(num)
	if len(num) == 0 || len(num) > 15 {
		return 0, false
	}
	for _, c := range num {
		if c < '0' || c > '9' {
			return 0, false
		}
		kb = kb*10 + int(c-'0')
	}
	return kb, true
}
