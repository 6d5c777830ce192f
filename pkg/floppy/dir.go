package floppy

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// dirEntry is the directory entry of the file found.
type dirEntry struct {
	name    string
	cluster int64
	size    int64
}

// findFile scans the fixed root directory for luoyun.ini.
func findFile(r io.ReaderAt, g *geometry) (*dirEntry, error) {
	root := make([]byte, g.rootEntries*32)
	if _, err := r.ReadAt(root, g.rootStart); err != nil {
		return nil, fmt.Errorf("read root directory: %w", err)
	}
	var lfn []uint16 // long name pieces gathered for the next short entry
	var lfnSum byte
	lfnOK := false
	for off := 0; off+32 <= len(root); off += 32 {
		e := root[off : off+32]
		if e[0] == 0 {
			break // end of directory
		}
		attr := e[11]
		if e[0] == 0xE5 {
			lfnOK = false
			continue
		}
		if attr&0x3F == 0x0F { // long-name entry
			seq := e[0]
			if seq&0x40 != 0 {
				lfn, lfnSum, lfnOK = nil, e[13], true
			}
			if !lfnOK || e[13] != lfnSum {
				lfnOK = false
				continue
			}
			var part []uint16
			for _, p := range [][2]int{{1, 11}, {14, 26}, {28, 32}} {
				for i := p[0]; i < p[1]; i += 2 {
					part = append(part, binary.LittleEndian.Uint16(e[i:]))
				}
			}
			lfn = append(part, lfn...) // entries are stored last piece first
			continue
		}
		long := ""
		if lfnOK && shortSum(e[:11]) == lfnSum {
			long = decodeLFN(lfn)
		}
		lfnOK = false
		if attr&(0x08|0x10) != 0 { // volume label or directory
			continue
		}
		short := shortName(e[:11])
		if !strings.EqualFold(short, FileName) && !strings.EqualFold(long, FileName) {
			continue
		}
		name := short
		if long != "" {
			name = long
		}
		return &dirEntry{
			name:    name,
			cluster: int64(binary.LittleEndian.Uint16(e[26:])),
			size:    int64(binary.LittleEndian.Uint32(e[28:])),
		}, nil
	}
	return nil, ErrNotFound
}

// shortName turns "LUOYUN  INI" into "LUOYUN.INI".
func shortName(b []byte) string {
	base := strings.TrimRight(string(b[:8]), " ")
	ext := strings.TrimRight(string(b[8:11]), " ")
	if ext == "" {
		return base
	}
	return base + "." + ext
}

// shortSum is the checksum of a short name kept in its long-name entries.
func shortSum(b []byte) byte {
	var s byte
	for _, c := range b {
		s = (s>>1 | s<<7) + c
	}
	return s
}

func decodeLFN(u []uint16) string {
	for i, c := range u {
		if c == 0 || c == 0xFFFF {
			u = u[:i]
			break
		}
	}
	return string(utf16.Decode(u))
}
