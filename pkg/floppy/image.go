package floppy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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
	// Only the entries of existing clusters are read, of at most two FAT
	// copies: a boot sector claiming huge or many FATs costs nothing.
	need := (g.clusters+2)*int64(g.bits)/8 + 2
	for i := int64(0); i < min(g.numFATs, 2) && clusters == nil; i++ {
		start := g.fatStart + i*fatBytes
		n := min(fatBytes, need, size-start)
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
