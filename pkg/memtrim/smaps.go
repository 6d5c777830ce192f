package memtrim

import (
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
	var out []Mapping
	for _, l := range strings.Split(string(b), "\n") {
		if m, ok := parseMapLine(l); ok {
			out = append(out, m)
			continue
		}
		if len(out) == 0 {
			continue
		}
		key, kb, ok := parseSizeLine(l)
		if !ok {
			continue
		}
		cur := &out[len(out)-1]
		switch key {
		case "Rss":
			cur.Rss = kb
		case "Pss":
			cur.Pss = kb
		case "Anonymous":
			cur.Anonymous = kb
		}
	}
	return out
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

// parseSizeLine reads "Key:   123 kB".
func parseSizeLine(l string) (key string, kb int, ok bool) {
	f := strings.Fields(l)
	if len(f) != 3 || f[2] != "kB" || !strings.HasSuffix(f[0], ":") {
		return "", 0, false
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 0 {
		return "", 0, false
	}
	return strings.TrimSuffix(f[0], ":"), n, true
}
