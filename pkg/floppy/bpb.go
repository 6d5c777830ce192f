package floppy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

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
