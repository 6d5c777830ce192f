// Package floppy reads luoyun.ini from the instance's configuration floppy
// without mounting it, and writes floppy images in the layout the cloud's
// compute nodes use.
//
// The reader understands FAT12 and FAT16 volumes (type decided by cluster
// count, as the FAT specification and the kernel do), finds luoyun.ini in
// the root directory by its short or long name in any letter case, and
// reads it by following the FAT chain while the chain is valid and covers
// the file's size; otherwise, as the compute nodes' hand-built images
// require, it reads the clusters contiguously from the first cluster. Every
// offset is bounded by the image: a truncated or garbled image is an error,
// never a panic, a hang or a huge allocation.
package floppy
