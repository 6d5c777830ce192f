package lyconf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/luoyun/osmanager/pkg/suggest"
)

// DefaultPath is where the OS manager keeps the instance configuration.
const DefaultPath = "/LuoYun/conf/luoyun.conf"

// Known keys of luoyun.conf, in the order the compute node writes them.
var Known = []string{"CLC_IP", "CLC_PORT", "CLC_MCAST_IP", "CLC_MCAST_PORT", "TAG", "KEY", "JSON"}

// Conf is a parsed luoyun.conf.
type Conf struct {
	CLCIP     string // controller IPv4 address; may be empty
	CLCPort   int    // controller TCP port; 0 when absent
	MCastIP   string // multicast group for discovery, e.g. 228.0.0.1
	MCastPort int    // multicast UDP port, e.g. 1369; 0 when absent
	Tag       int    // instance id; 0 when absent
	HasTag    bool   // whether TAG was present with a number
	Key       Secret // shared secret
	JSON      string // raw JSON line, "" when absent
	Instance  Instance
	Extra     map[string]string // unknown keys, kept as read
	KeyOrder  []string          // every key in the order read
	// Problems lists the lines that could not be used as written, in
	// file order. Their text never quotes the KEY nor any part of it.
	Problems  []*ParseError
	lineOfKey map[string]int
}

// Line returns the 1-based line number on which key was read, or 0.
func (c *Conf) Line(key string) int { return c.lineOfKey[key] }

// Err returns the problems (not the warnings) about the given keys, or
// about any key when none is given, joined; nil when there are none. A
// component calls it with the keys it needs: osm with TAG, KEY and the
// controller's keys, so that a broken JSON line does not stop it.
func (c *Conf) Err(keys ...string) error {
	var errs []error
	for _, p := range c.Problems {
		if p.Warning {
			continue
		}
		if len(keys) == 0 || contains(keys, p.Key) {
			errs = append(errs, p)
		}
	}
	return errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ParseError describes a line that could not be used as written. Parse
// collects them in Conf.Problems and goes on with the other lines.
type ParseError struct {
	File    string // the file, when known ("" for text read by Parse)
	Line    int    // 1-based line number, 0 when not line-bound
	Key     string // the known key the line is about; "" when none
	Warning bool   // nothing a component needs was lost (an unknown key)
	Err     error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(" ")
		}
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d", e.Line)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// MaxSize bounds what Parse reads; the floppy holds at most 1 MiB.
const MaxSize = 1 << 20

// Load reads and parses the file at path; the problems it finds name the
// file. The error is for a file that cannot be read at all.
func Load(path string) (*Conf, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is said once, below
		}
		return nil, fmt.Errorf("cannot read the instance configuration %s: %w", path, err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) { // a directory, an I/O error
			return nil, fmt.Errorf("cannot read the instance configuration %s: %w", path, pe.Err)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.SetFile(path)
	return c, nil
}

// SetFile names the file in every problem's text.
func (c *Conf) SetFile(name string) {
	for _, p := range c.Problems {
		p.File = name
	}
}

// Parse reads luoyun.conf text: KEY=VALUE lines split at the first '=',
// blank lines skipped, CRLF tolerated, unknown keys kept in Extra. A line
// that cannot be used (no '=', a number that is not one, JSON that does
// not decode) is recorded in Problems and the others still apply; a bad
// JSON line leaves Instance empty. The error is for unreadable or
// oversized input only.
func Parse(r io.Reader) (*Conf, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxSize)
	}
	c := &Conf{Extra: map[string]string{}, lineOfKey: map[string]int{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxSize+1)
	var shown []shownValue
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			// Nothing of the line is quoted: it may be the KEY's line.
			p := &ParseError{Line: n, Warning: true, Err: errors.New("no '=' in the line; skipped")}
			if w := strings.Fields(line)[0]; contains(Known, w) {
				p.Key = w
			}
			c.Problems = append(c.Problems, p)
			continue
		}
		key = strings.TrimSpace(key)
		if p := controlChar(n, key, val); p != nil {
			c.Problems = append(c.Problems, p)
			continue
		}
		if p, sv := c.set(n, key, val); p != nil {
			c.Problems = append(c.Problems, p)
			if sv != nil {
				sv.p = p
				shown = append(shown, *sv)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	// Only now is the KEY known: a problem may quote its value only when
	// the value shares nothing with it.
	for _, sv := range shown {
		sv.p.Err = sv.render(c.Key.Reveal())
	}
	return c, nil
}

// controlChar refuses a value that holds a C0 control character other
// than TAB (NUL, ESC, a CR inside the line, ...): no program reading
// luoyun.conf should meet one, and a NUL cuts a value short in C. The
// problem names the line, the key and the character's position, never
// the value (it may be the KEY); the key is then as if absent.
func controlChar(line int, key, val string) *ParseError {
	i := strings.IndexFunc(val, func(r rune) bool { return r < 0x20 && r != '\t' })
	if i < 0 {
		return nil
	}
	p := &ParseError{Line: line, Err: fmt.Errorf("control character %U at byte %d of the value; the value is refused", val[i], i+1)}
	if contains(Known, key) {
		p.Key = key
	} else {
		p.Warning = true // an unknown key: nothing a component needs is lost
	}
	return p
}

// shownValue is a problem whose text would quote a value.
type shownValue struct {
	p       *ParseError
	value   string               // the value or key name to quote
	withVal func(q string) error // the text with the quoted value
	without func() error         // the text without it
}

func (s shownValue) render(key string) error {
	if MayShow(s.value, key) {
		return s.withVal(strconv.Quote(truncate(s.value)))
	}
	return s.without()
}

// MayShow reports whether s may appear in a message: it shares no run of
// 8 bytes with the KEY (nor is it a shorter part of it), so no part of
// the secret is ever quoted.
func MayShow(s, key string) bool {
	if key == "" || s == "" {
		return true
	}
	const run = 8
	if len(s) < run || len(key) < run {
		return !strings.Contains(key, s) && !strings.Contains(s, key)
	}
	for i := 0; i+run <= len(s); i++ {
		if strings.Contains(key, s[i:i+run]) {
			return false
		}
	}
	return true
}

func (c *Conf) set(line int, key, val string) (*ParseError, *shownValue) {
	if _, seen := c.lineOfKey[key]; !seen {
		c.KeyOrder = append(c.KeyOrder, key)
	}
	c.lineOfKey[key] = line
	bad := func(v string, with func(q string) error, without func() error) (*ParseError, *shownValue) {
		return &ParseError{Line: line, Key: key, Err: without()}, &shownValue{value: v, withVal: with, without: without}
	}
	num := func(dst *int) (*ParseError, *shownValue) {
		v := strings.TrimSpace(val)
		*dst = 0
		if v == "" {
			return nil, nil
		}
		i, err := strconv.Atoi(v)
		if err != nil {
			return bad(v, func(q string) error { return fmt.Errorf("%s is not a number", q) },
				func() error { return errors.New("not a number") })
		}
		*dst = i
		return nil, nil
	}
	port := func(dst *int) (*ParseError, *shownValue) {
		if p, sv := num(dst); p != nil {
			return p, sv
		}
		if v := *dst; v < 0 || v > 65535 {
			*dst = 0
			return &ParseError{Line: line, Key: key, Err: fmt.Errorf("%d is not a port (1..65535)", v)}, nil
		}
		return nil, nil
	}
	switch key {
	case "CLC_IP":
		c.CLCIP = strings.TrimSpace(val)
	case "CLC_PORT":
		return port(&c.CLCPort)
	case "CLC_MCAST_IP":
		c.MCastIP = strings.TrimSpace(val)
	case "CLC_MCAST_PORT":
		return port(&c.MCastPort)
	case "TAG":
		p, sv := num(&c.Tag)
		c.HasTag = p == nil && strings.TrimSpace(val) != ""
		return p, sv
	case "KEY":
		// The secret is taken as written, less a trailing CR already cut.
		c.Key = NewSecret(val)
	case "JSON":
		c.JSON = strings.TrimSpace(val)
		c.Instance = Instance{}
		inst, err := DecodeInstance([]byte(c.JSON))
		if err != nil {
			return &ParseError{Line: line, Key: key, Err: fmt.Errorf("%w; nothing from it is applied", err)}, nil
		}
		c.Instance = *inst
	default:
		c.Extra[key] = val
		hint := ""
		if k := suggest.Closest(key, Known); k != "" {
			hint = "; did you mean " + k + "?"
		}
		return &ParseError{Line: line, Warning: true, Err: fmt.Errorf("unknown key, kept but not used%s", hint)},
			&shownValue{value: key,
				withVal: func(q string) error { return fmt.Errorf("unknown key %s, kept but not used%s", q, hint) },
				without: func() error { return fmt.Errorf("unknown key, kept but not used%s", hint) }}
	}
	return nil, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
