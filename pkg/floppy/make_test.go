package floppy

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/luoyun/osmanager/internal/floppytest"
)

// TestMakeLayout checks the byte facts of contract section 2.
func TestMakeLayout(t *testing.T) {
	ini := floppytest.Ini(949)
	img, err := Make(ini)
	if err != nil {
		t.Fatal(err)
	}
	u16 := func(off int) int { return int(binary.LittleEndian.Uint16(img[off:])) }
	fatHead := []byte{0xf8, 0xff, 0xff, 0xff, 0x40, 0x00, 0x05, 0x60, 0x00, 0x07, 0x80, 0x00, 0x09, 0xf0, 0xff, 0x00}
	checks := []struct {
		what      string
		got, want any
	}{
		{"size", len(img), 1048576},
		{"OEM name", string(img[3:10]), "mkdosfs"},
		{"bytes/sector", u16(11), 512},
		{"sectors/cluster", int(img[13]), 1},
		{"reserved sectors", u16(14), 1},
		{"FATs", int(img[16]), 2},
		{"root entries", u16(17), 512},
		{"total sectors", u16(19), 2048},
		{"media", img[21], byte(0xF8)},
		{"sectors/FAT", u16(22), 8},
		{"volume label", string(img[43:54]), "           "},
		{"type string", string(img[54:62]), "FAT16   "},
		{"signature", u16(510), 0xAA55},
		{"FAT 1", string(img[0x200:0x210]), string(fatHead)},
		{"FAT 2", string(img[0x1200:0x1210]), string(fatHead)},
		{"FAT 1 rest", bytes.Count(img[0x210:0x1200], []byte{0}), 0x1200 - 0x210},
		{"long-name entry attr", img[0x2200+11], byte(0x0F)},
		{"short name", string(img[0x2220:0x222B]), "LUOYUN  INI"},
		{"first cluster", u16(0x223A), 3},
		{"size field", int(binary.LittleEndian.Uint32(img[0x223C:])), len(ini)},
		{"text at 0x6400", string(img[0x6400 : 0x6400+len(ini)]), string(ini)},
		{"after text", bytes.Count(img[0x6400+len(ini):], []byte{0}), len(img) - 0x6400 - len(ini)},
		{"cluster 2 empty", bytes.Count(img[0x6200:0x6400], []byte{0}), 512},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
		}
	}
}

func TestMakeTooLarge(t *testing.T) {
	if _, err := Make(make([]byte, MaxIniSize)); err != nil {
		t.Errorf("Make(%d bytes) = %v, want it to fit", MaxIniSize, err)
	}
	if _, err := Make(make([]byte, MaxIniSize+1)); err == nil {
		t.Errorf("Make(%d bytes) succeeded, want an error", MaxIniSize+1)
	}
}

// TestMakeReadByMtools checks the image against an independent reader:
// mtools decides FAT12 by cluster count, so it reads the text through the
// valid FAT12 chain 3..9: all of a file up to 3,584 bytes, and only those
// 3,584 bytes of a longer one (contract section 2).
func TestMakeReadByMtools(t *testing.T) {
	floppytest.HaveMtools(t)
	if _, err := exec.LookPath("mtype"); err != nil {
		t.Skipf("mtype not installed: %v", err)
	}
	for _, n := range []int{100, 513, 2500, 3584, 20000} {
		ini := floppytest.Ini(n)
		img, err := Make(ini)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "cn.img")
		if err := os.WriteFile(p, img, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("mtype", "-i", p, "::luoyun.ini")
		cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("mtype on a %d-byte ini: %v", n, err)
		}
		want := ini[:min(n, 3584)]
		if !bytes.Equal(out, want) {
			t.Errorf("mtype read %d bytes of a %d-byte ini, want the first %d", len(out), n, len(want))
		}
	}
}
