// Package appliancebuild reads the appliance's build, as its build/VERSION
// file gives it (not the OS manager's own release: pkg/release): line 1's
// second word is version1, line 2 is "<application>: <version2>". It is
// tolerant: a missing file, a short file, extra spaces, CRLF line ends or
// a missing colon give "unknown" for what cannot be found, never an error
// or a panic.
package appliancebuild

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode"
)

// Unknown stands for a value the file does not give.
const Unknown = "unknown"

// MaxSize bounds what Load reads; a VERSION file is two short lines.
const MaxSize = 64 << 10

// maxValue bounds one value, so that a garbage file cannot blow up the page.
const maxValue = 128

// Info is what the page shows about the appliance's build.
type Info struct {
	// Version1 is the second word of line 1 (the LuoYun build's version).
	Version1 string
	// Application is the part of line 2 before the colon.
	Application string
	// Version2 is the first word after the colon on line 2.
	Version2 string
}

// UnknownInfo is the Info of a missing or empty file.
func UnknownInfo() Info { return Info{Unknown, Unknown, Unknown} }

// Load reads and parses the file at path. A missing file is not an error:
// it gives UnknownInfo. Any other read error is returned along with
// UnknownInfo.
func Load(path string) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return UnknownInfo(), nil
		}
		return UnknownInfo(), fmt.Errorf("build version: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize))
	if err != nil {
		return UnknownInfo(), fmt.Errorf("build version %s: %w", path, err)
	}
	return Parse(data), nil
}

// Parse reads VERSION text. Values are valid UTF-8 without control
// characters, at most 128 bytes, and never empty.
func Parse(data []byte) Info {
	info := UnknownInfo()
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 BOM
	lines := strings.Split(strings.ToValidUTF8(string(data), "\uFFFD"), "\n")
	if f := strings.Fields(lines[0]); len(f) >= 2 {
		info.Version1 = clean(f[1])
	}
	if len(lines) < 2 {
		return info
	}
	line := lines[1]
	if app, rest, ok := strings.Cut(line, ":"); ok {
		// "<application>: <version2>"; the application may hold spaces.
		info.Application = clean(strings.Join(strings.Fields(app), " "))
		if f := strings.Fields(rest); len(f) >= 1 {
			info.Version2 = clean(f[0])
		}
	} else if f := strings.Fields(line); len(f) >= 1 {
		// No colon: "<application> <version2>".
		info.Application = clean(f[0])
		if len(f) >= 2 {
			info.Version2 = clean(f[1])
		}
	}
	return info
}

// clean drops control characters, bounds the length and maps "" to Unknown.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > maxValue {
		cut := maxValue
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	if s == "" {
		return Unknown
	}
	return s
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
