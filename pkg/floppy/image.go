package floppy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// FileName is the name of the configuration file on the floppy.
const FileName = "luoyun.ini"

// MaxFileSize bounds the file the reader accepts: a floppy holds less.
const MaxFileSize = 4 << 20

// ErrNotFound means the volume has no luoyun.ini in its root directory.
var ErrNotFound = errors.New("no " + FileName + " in the root directory")

// Method says how the file's clusters were located.
type Method string

const (
	// Chain means the FAT chain was valid and covered the file.
	Chain Method = "chain"
	// Contiguous means the FAT chain was not usable and the clusters were
	// read one after the other from the first cluster.
	Contiguous Method = "contiguous"
	// Directory means the file was read from a mounted directory.
	Directory Method = "directory"
)

// Info describes what the reader found.
type Info struct {
	FATBits  int    // 12 or 16; 0 for a directory source
	Clusters int    // number of data clusters of the volume
	Name     string // the file's name as stored (long name when present)
	Size     int64  // size recorded in the directory entry
	Method   Method // how the data was located
}

// geometry is the part of the boot sector the reader needs.
type geometry struct {
	bytesPerSector    int64
	sectorsPerCluster int64
	reserved          int64
	numFATs           int64
	rootEntries       int64
	totalSectors      int64
	sectorsPerFAT     int64

	fatStart, rootStart, dataStart int64
	clusterSize                    int64
	clusters                       int64
	bits                           int
}

func readGeometry(r io.ReaderAt, size int64) (*geometry, error) {
	if size < 512 {
		return nil, fmt.Errorf("image too small (%d bytes) for a boot sector", size)
	}
	bs := make([]byte, 512)
	if _, err := r.ReadAt(bs, 0); err != nil {
		return nil, fmt.Errorf("read boot sector: %w", err)
	}
	le16 := func(off int) int64 { return int64(binary.LittleEndian.Uint16(bs[off:])) }
	g := &geometry{
		bytesPerSector:    le16(11),
		sectorsPerCluster: int64(bs[13]),
		reserved:          le16(14),
		numFATs:           int64(bs[16]),
		rootEntries:       le16(17),
		totalSectors:      le16(19),
		sectorsPerFAT:     le16(22),
	}
	if g.totalSectors == 0 {
		g.totalSectors = int64(binary.LittleEndian.Uint32(bs[32:]))
	}
	switch g.bytesPerSector {
	case 512, 1024, 2048, 4096:
	default:
		return nil, fmt.Errorf("not a FAT volume: %d bytes per sector", g.bytesPerSector)
	}
	if spc := g.sectorsPerCluster; spc == 0 || spc&(spc-1) != 0 {
		return nil, fmt.Errorf("not a FAT volume: %d sectors per cluster", spc)
	}
	if g.reserved == 0 || g.numFATs == 0 || g.sectorsPerFAT == 0 {
		return nil, errors.New("not a FAT volume: no reserved sector, FAT count or FAT size")
	}
	if g.rootEntries == 0 {
		return nil, errors.New("not a FAT12/FAT16 volume (FAT32 is not a floppy format)")
	}
	bps := g.bytesPerSector
	g.fatStart = g.reserved * bps
	g.rootStart = g.fatStart + g.numFATs*g.sectorsPerFAT*bps
	rootSectors := (g.rootEntries*32 + bps - 1) / bps
	g.dataStart = g.rootStart + rootSectors*bps
	g.clusterSize = g.sectorsPerCluster * bps
	dataSectors := g.totalSectors - g.dataStart/bps
	if dataSectors <= 0 {
		return nil, fmt.Errorf("not a FAT volume: %d total sectors leave no data area", g.totalSectors)
	}
	g.clusters = dataSectors / g.sectorsPerCluster
	switch {
	case g.clusters < 4085:
		g.bits = 12
	case g.clusters < 65525:
		g.bits = 16
	default:
		return nil, errors.New("not a FAT12/FAT16 volume (too many clusters)")
	}
	if g.dataStart > size {
		return nil, fmt.Errorf("image truncated: %d bytes, the data area starts at %d", size, g.dataStart)
	}
	return g, nil
}

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

// fatEntry reads cluster c's entry from the FAT copy that starts at base.
func fatEntry(fat []byte, bits int, c int64) (int64, bool) {
	switch bits {
	case 12:
		off := c + c/2
		if off+2 > int64(len(fat)) {
			return 0, false
		}
		v := int64(binary.LittleEndian.Uint16(fat[off:]))
		if c&1 == 1 {
			return v >> 4, true
		}
		return v & 0x0FFF, true
	default:
		off := c * 2
		if off+2 > int64(len(fat)) {
			return 0, false
		}
		return int64(binary.LittleEndian.Uint16(fat[off:])), true
	}
}

// chain returns the clusters of the file when the FAT chain starting at
// first is valid and covers want clusters, or nil.
func chain(fat []byte, g *geometry, first, want int64) []int64 {
	eoc := int64(0xFF8)
	if g.bits == 16 {
		eoc = 0xFFF8
	}
	out := make([]int64, 0, want)
	seen := make(map[int64]bool, want)
	c := first
	for {
		if c < 2 || c > g.clusters+1 || seen[c] {
			return nil
		}
		seen[c] = true
		out = append(out, c)
		if int64(len(out)) == want {
			return out
		}
		next, ok := fatEntry(fat, g.bits, c)
		if !ok || next >= eoc {
			return nil // chain ends before the file does
		}
		c = next
	}
}

// ReadImage reads luoyun.ini from a FAT image of size bytes.
func ReadImage(r io.ReaderAt, size int64) ([]byte, *Info, error) {
	g, err := readGeometry(r, size)
	if err != nil {
		return nil, nil, err
	}
	e, err := findFile(r, g)
	if err != nil {
		return nil, nil, err
	}
	info := &Info{FATBits: g.bits, Clusters: int(g.clusters), Name: e.name, Size: e.size, Method: Chain}
	if e.size == 0 {
		return []byte{}, info, nil
	}
	if e.size > MaxFileSize {
		return nil, nil, fmt.Errorf("%s: recorded size %d is larger than a floppy", e.name, e.size)
	}
	if e.cluster < 2 || e.cluster > g.clusters+1 {
		return nil, nil, fmt.Errorf("%s: invalid first cluster %d", e.name, e.cluster)
	}
	want := (e.size + g.clusterSize - 1) / g.clusterSize
	var clusters []int64
	fatBytes := g.sectorsPerFAT * g.bytesPerSector
	for i := int64(0); i < g.numFATs && clusters == nil; i++ {
		start := g.fatStart + i*fatBytes
		n := min(fatBytes, size-start)
		if n <= 0 {
			break
		}
		fat := make([]byte, n)
		if _, err := r.ReadAt(fat, start); err != nil && !errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("read FAT: %w", err)
		}
		clusters = chain(fat, g, e.cluster, want)
	}
	if clusters == nil {
		info.Method = Contiguous
		if e.cluster-2+want > g.clusters {
			return nil, nil, fmt.Errorf("%s: %d bytes from cluster %d run past the end of the volume", e.name, e.size, e.cluster)
		}
		for i := int64(0); i < want; i++ {
			clusters = append(clusters, e.cluster+i)
		}
	}
	data := make([]byte, 0, e.size)
	for _, c := range clusters {
		off := g.dataStart + (c-2)*g.clusterSize
		n := min(g.clusterSize, e.size-int64(len(data)))
		if off+n > size {
			return nil, nil, fmt.Errorf("%s: image truncated at %d bytes; the file needs cluster %d at offset %d", e.name, size, c, off)
		}
		buf := make([]byte, n)
		if _, err := r.ReadAt(buf, off); err != nil && !(errors.Is(err, io.EOF) && int64(len(buf)) == n) {
			return nil, nil, fmt.Errorf("%s: read cluster %d: %w", e.name, c, err)
		}
		data = append(data, buf...)
	}
	return data, info, nil
}
