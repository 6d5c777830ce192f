package floppy

import (
	"encoding/binary"
	"fmt"
)

// Geometry of the image compute nodes write (contract section 2).
const (
	// ImageSize is the size of a compute-node floppy image: 1 MiB.
	ImageSize = 1 << 20
	// DataOffset is where luoyun.ini's text starts (cluster 3).
	DataOffset = 0x6400
	// MaxIniSize is the largest luoyun.ini the layout holds.
	MaxIniSize = ImageSize - DataOffset
)

// fatHead is what compute nodes put at the start of both FATs: a FAT12
// packing of the chain 3->4->...->9->end.
var fatHead = []byte{0xf8, 0xff, 0xff, 0xff, 0x40, 0x00, 0x05, 0x60, 0x00, 0x07, 0x80, 0x00, 0x09, 0xf0, 0xff, 0x00}

// Make returns a 1 MiB floppy image holding ini as luoyun.ini, laid out
// byte for byte as the cloud's compute nodes write it: a "FAT16" boot
// sector on a volume that is FAT12 by cluster count, the fixed FAT head
// above in both FATs whatever the file's size, a long-name and a short
// directory entry, and the text contiguous from cluster 3.
func Make(ini []byte) ([]byte, error) {
	if len(ini) > MaxIniSize {
		return nil, fmt.Errorf("%s is %d bytes; a compute-node floppy holds at most %d", FileName, len(ini), MaxIniSize)
	}
	img := make([]byte, ImageSize)
	bs := img[:512]
	copy(bs[0:], []byte{0xEB, 0x3C, 0x90})
	copy(bs[3:], "mkdosfs ")
	binary.LittleEndian.PutUint16(bs[11:], 512) // bytes per sector
	bs[13] = 1                                  // sectors per cluster
	binary.LittleEndian.PutUint16(bs[14:], 1)   // reserved sectors
	bs[16] = 2                                  // FATs
	binary.LittleEndian.PutUint16(bs[17:], 512) // root entries
	binary.LittleEndian.PutUint16(bs[19:], 2048)
	bs[21] = 0xF8                              // media
	binary.LittleEndian.PutUint16(bs[22:], 8)  // sectors per FAT
	binary.LittleEndian.PutUint16(bs[24:], 32) // sectors per track
	binary.LittleEndian.PutUint16(bs[26:], 64) // heads
	bs[36] = 0x80                              // drive number
	bs[38] = 0x29                              // extended boot signature
	copy(bs[43:], "           ")               // volume label: 11 spaces
	copy(bs[54:], "FAT16   ")
	bs[510], bs[511] = 0x55, 0xAA

	copy(img[0x200:], fatHead)
	copy(img[0x1200:], fatHead)

	short := []byte("LUOYUN  INI")
	lfn := img[0x2200:0x2220]
	lfn[0] = 0x41 // first and last long-name entry
	name := []uint16{'l', 'u', 'o', 'y', 'u', 'n', '.', 'i', 'n', 'i', 0, 0xFFFF, 0xFFFF}
	for i, at := range []int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30} {
		binary.LittleEndian.PutUint16(lfn[at:], name[i])
	}
	lfn[11] = 0x0F
	lfn[13] = shortSum(short)

	de := img[0x2220:0x2240]
	copy(de, short)
	de[11] = 0x20                                // archive
	binary.LittleEndian.PutUint16(de[16:], 0x21) // created 1980-01-01
	binary.LittleEndian.PutUint16(de[18:], 0x21) // accessed
	binary.LittleEndian.PutUint16(de[24:], 0x21) // modified
	binary.LittleEndian.PutUint16(de[26:], 3)    // first cluster
	binary.LittleEndian.PutUint32(de[28:], uint32(len(ini)))

	copy(img[DataOffset:], ini)
	return img, nil
}
