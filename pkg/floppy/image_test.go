package floppy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/luoyun/osmanager/internal/floppytest"
)

func readBytes(img []byte) ([]byte, *Info, error) {
	return ReadImage(bytes.NewReader(img), int64(len(img)))
}

// TestReadComputeNode reads images in the compute nodes' layout. Up to
// 3,584 bytes the FAT12 chain is valid; beyond it the reader must fall
// back to contiguous clusters.
func TestReadComputeNode(t *testing.T) {
	for _, tc := range []struct {
		size   int
		method Method
	}{
		{0, Chain}, {100, Chain}, {512, Chain}, {513, Chain}, {949, Chain},
		{2500, Chain}, {3584, Chain}, {3585, Contiguous}, {20000, Contiguous},
		{MaxIniSize, Contiguous},
	} {
		t.Run(fmt.Sprint(tc.size), func(t *testing.T) {
			var ini []byte
			if tc.size == MaxIniSize {
				ini = bytes.Repeat([]byte("0123456789abcdef"), MaxIniSize/16+1)[:MaxIniSize]
			} else {
				ini = floppytest.Ini(tc.size)
			}
			img, err := Make(ini)
			if err != nil {
				t.Fatal(err)
			}
			got, info, err := readBytes(img)
			if err != nil {
				t.Fatalf("ReadImage = %v", err)
			}
			if !bytes.Equal(got, ini) {
				t.Errorf("ReadImage returned %d bytes, want the %d written", len(got), len(ini))
			}
			if info.FATBits != 12 || info.Method != tc.method || info.Name != "luoyun.ini" || info.Size != int64(tc.size) {
				t.Errorf("Info = %+v, want FAT12, %s, luoyun.ini, size %d", info, tc.method, tc.size)
			}
		})
	}
}

// TestReadMkfsFAT16 reads a fragmented file from a FAT16 volume.
func TestReadMkfsFAT16(t *testing.T) {
	big := floppytest.Ini(20000)
	filler := bytes.Repeat([]byte("f"), 3000)
	img := floppytest.MkfsImageWith(t, []string{"-F", "16", "-s", "1", "20480"},
		floppytest.File{Name: "a.txt", Data: filler}, floppytest.File{Name: "b.txt", Data: filler},
		floppytest.File{Name: "c.txt", Data: filler}, floppytest.File{Name: "b.txt"},
		floppytest.File{Name: "LUOYUN.INI", Data: big})
	got, info, err := ReadSource(img)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, big) || info.FATBits != 16 || info.Method != Chain {
		t.Errorf("read %d bytes, %+v; want %d bytes from FAT16 through the chain", len(got), info, len(big))
	}
}

// TestReadMkfs reads standard 1.44 MB FAT12 floppies made with mkfs.fat
// and mcopy, with the name in several cases and a fragmented file.
func TestReadMkfs(t *testing.T) {
	ini := floppytest.Ini(2500)
	big := floppytest.Ini(20000)
	filler := bytes.Repeat([]byte("f"), 1024)
	cases := []struct {
		name  string
		files []floppytest.File
		want  []byte
	}{
		{"lower", []floppytest.File{{Name: "luoyun.ini", Data: ini}}, ini},
		{"upper", []floppytest.File{{Name: "LUOYUN.INI", Data: ini}}, ini},
		{"mixed", []floppytest.File{{Name: "LuoYun.Ini", Data: ini}}, ini},
		{"empty", []floppytest.File{{Name: "luoyun.ini", Data: []byte{}}}, []byte{}},
		{"after others", []floppytest.File{{Name: "readme.txt", Data: filler}, {Name: "luoyun.ini", Data: big}}, big},
		{"fragmented", []floppytest.File{
			{Name: "a.txt", Data: filler}, {Name: "b.txt", Data: filler}, {Name: "c.txt", Data: filler},
			{Name: "b.txt"}, {Name: "luoyun.ini", Data: big},
		}, big},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img := floppytest.MkfsImage(t, tc.files...)
			got, info, err := ReadSource(img)
			if err != nil {
				t.Fatalf("ReadSource = %v", err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("read %d bytes, want %d (%q...)", len(got), len(tc.want), got[:min(len(got), 40)])
			}
			if info.FATBits != 12 || info.Method != Chain {
				t.Errorf("Info = %+v, want FAT12 read through the chain", info)
			}
		})
	}
}

func TestReadBad(t *testing.T) {
	good, err := Make(floppytest.Ini(2500))
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	rnd := make([]byte, 1<<20)
	rand.New(rand.NewSource(1)).Read(rnd)
	cases := []struct {
		name string
		img  []byte
		want string // part of the error
	}{
		{"zero length", nil, "too small"},
		{"boot sector only", good[:511], "too small"},
		{"cut in the FATs", good[:0x1000], "truncated"},
		{"cut in the root directory", good[:0x3000], "truncated"},
		{"cut before the text", good[:0x6400], "truncated"},
		{"cut in the text", good[:0x6400+1000], "truncated"},
		{"random bytes", rnd, ""},
		{"all zeros", make([]byte, 1<<20), "not a FAT volume"},
		{"no file", mutate(func(b []byte) []byte { b[0x2200] = 0; return b }), "no luoyun.ini"},
		{"deleted file", mutate(func(b []byte) []byte { b[0x2200], b[0x2220] = 0xE5, 0xE5; return b }), "no luoyun.ini"},
		{"first cluster 0", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[0x223A:], 0); return b }), "invalid first cluster"},
		{"first cluster past the end", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[0x223A:], 5000); return b }), "invalid first cluster"},
		{"size past the volume", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[0x223C:], MaxIniSize+512); return b }), "past the end"},
		{"huge size", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[0x223C:], 0xFFFFFFFF); return b }), "larger than a floppy"},
		{"FAT32-like", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[17:], 0); return b }), "FAT32"},
		{"bad sector size", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[11:], 100); return b }), "bytes per sector"},
		{"huge FATs", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[22:], 0xFFFF); return b }), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data, _, err := readBytes(tc.img)
			if err == nil {
				t.Fatalf("ReadImage succeeded with %d bytes, want an error", len(data))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadImage error = %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

// TestReadCyclicChain: a FAT chain that loops must not hang; the reader
// falls back to contiguous clusters.
func TestReadCyclicChain(t *testing.T) {
	ini := floppytest.Ini(2500)
	img, err := Make(ini)
	if err != nil {
		t.Fatal(err)
	}
	// FAT12: make cluster 4 point back to 3 in both FATs.
	for _, base := range []int{0x200, 0x1200} {
		off := base + 4 + 4/2
		v := binary.LittleEndian.Uint16(img[off:])
		binary.LittleEndian.PutUint16(img[off:], v&0xF000|3)
	}
	got, info, err := readBytes(img)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, ini) || info.Method != Contiguous {
		t.Errorf("read %d bytes by %s, want %d by %s", len(got), info.Method, len(ini), Contiguous)
	}
}

// TestReadSecondFAT: a damaged first FAT is read past through the second.
func TestReadSecondFAT(t *testing.T) {
	ini := floppytest.Ini(2500)
	img, err := Make(ini)
	if err != nil {
		t.Fatal(err)
	}
	// Break the first FAT's chain and point the file elsewhere in a way
	// only the second FAT describes: move the text from cluster 3.. to a
	// chain 3 -> 4 -> ... as FAT 2 says, with FAT 1 saying free.
	copy(img[0x200:0x210], make([]byte, 16))
	got, info, err := readBytes(img)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, ini) || info.Method != Chain {
		t.Errorf("read %d bytes by %s, want %d by %s", len(got), info.Method, len(ini), Chain)
	}
}

func TestReadSourceDirectory(t *testing.T) {
	ini := floppytest.Ini(949)
	for _, name := range []string{"luoyun.ini", "LUOYUN.INI"} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), ini, 0o644); err != nil {
			t.Fatal(err)
		}
		got, info, err := ReadSource(dir)
		if err != nil || !bytes.Equal(got, ini) || info.Method != Directory {
			t.Errorf("ReadSource(dir with %s) = %d bytes, %+v, %v; want %d bytes by directory", name, len(got), info, err, len(ini))
		}
	}
	_, _, err := ReadSource(t.TempDir())
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadSource(empty dir) error = %v, want ErrNotFound", err)
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadSource(fifo); err == nil || !strings.Contains(err.Error(), "not a block device") {
		t.Errorf("ReadSource(fifo) error = %v, want a refusal (not a hang)", err)
	}
	_, _, err = ReadSource(filepath.Join(t.TempDir(), "missing"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadSource(missing) error = %v, want not-exist", err)
	}
}

// BenchmarkReadImage reads luoyun.ini (through the FAT chain, then
// contiguously) from compute-node images in memory.
func BenchmarkReadImage(b *testing.B) {
	for _, n := range []int{2500, 20000} {
		img, err := Make(floppytest.Ini(n))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, _, err := readBytes(img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
