package lyconf

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// DefaultPath is where the OS manager keeps the instance configuration.
const DefaultPath = "/LuoYun/conf/luoyun.conf"

// Conf is a parsed luoyun.conf.
type Conf struct {
	CLCIP     string // controller IPv4 address; may be empty
	CLCPort   int    // controller TCP port; 0 when absent
	MCastIP   string // multicast group for discovery, e.g. 228.0.0.1
	MCastPort int    // multicast UDP port, e.g. 1369; 0 when absent
	Tag       int    // instance id; 0 when absent
	HasTag    bool   // whether TAG was present
	Key       Secret // shared secret
	JSON      string // raw JSON line, "" when absent
	Instance  Instance
	Extra     map[string]string // unknown keys, kept as read
	KeyOrder  []string          // every key in the order read
	lineOfKey map[string]int
}

// Line returns the 1-based line number on which key was read, or 0.
func (c *Conf) Line(key string) int { return c.lineOfKey[key] }

// ParseError describes a value that could not be understood.
type ParseError struct {
	Line int    // 1-based line number, 0 when not line-bound
	Key  string // the key whose value is wrong
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("luoyun.conf line %d: %s: %v", e.Line, e.Key, e.Err)
	}
	return fmt.Sprintf("luoyun.conf: %s: %v", e.Key, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// MaxSize bounds what Parse reads; the floppy holds at most 1 MiB.
const MaxSize = 1 << 20

// Load reads and parses the file at path.
func Load(path string) (*Conf, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read instance config: %w", err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse reads luoyun.conf text: KEY=VALUE lines split at the first '=',
// blank lines skipped, CRLF tolerated, unknown keys kept in Extra. Known
// numeric keys must be integers; the JSON line must decode into Instance.
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
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, &ParseError{Line: n, Key: firstWord(line), Err: fmt.Errorf("no '=' in line")}
		}
		key = strings.TrimSpace(key)
		if err := c.set(n, key, val); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return c, nil
}

func firstWord(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 20 {
		s = s[:20] + "..."
	}
	return strconv.Quote(s)
}

func (c *Conf) set(line int, key, val string) error {
	if _, seen := c.lineOfKey[key]; !seen {
		c.KeyOrder = append(c.KeyOrder, key)
	}
	c.lineOfKey[key] = line
	num := func(dst *int) error {
		v := strings.TrimSpace(val)
		if v == "" {
			*dst = 0
			return nil
		}
		i, err := strconv.Atoi(v)
		if err != nil {
			return &ParseError{Line: line, Key: key, Err: fmt.Errorf("not an integer: %q", truncate(v))}
		}
		*dst = i
		return nil
	}
	port := func(dst *int) error {
		if err := num(dst); err != nil {
			return err
		}
		if *dst < 0 || *dst > 65535 {
			return &ParseError{Line: line, Key: key, Err: fmt.Errorf("port %d out of range", *dst)}
		}
		return nil
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
		c.HasTag = strings.TrimSpace(val) != ""
		return num(&c.Tag)
	case "KEY":
		// The secret is taken as written, less a trailing CR already cut.
		c.Key = NewSecret(val)
	case "JSON":
		c.JSON = strings.TrimSpace(val)
		inst, err := DecodeInstance([]byte(c.JSON))
		if err != nil {
			return &ParseError{Line: line, Key: key, Err: err}
		}
		c.Instance = *inst
	default:
		c.Extra[key] = val
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
