package vmboot

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Under TCG the kernel's own decompressor is the slowest part of a boot:
// unpacking Debian's xz-compressed image takes 15 to 25 s of emulated
// code. ExtractVmlinux unpacks it on the host instead; qemu boots the
// resulting ELF through its PVH entry point (CONFIG_PVH, set in Debian's
// kernels) in a few seconds.

// payloads are the compressed-payload signatures of a bzImage, with the
// host-side decompressor of each.
var payloads = []struct {
	name  string
	magic []byte
	unzip func([]byte) ([]byte, error)
}{
	{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}, func(b []byte) ([]byte, error) {
		return decompressWith(b, "xz", "-dc", "--single-stream")
	}},
	{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd}, func(b []byte) ([]byte, error) {
		return decompressWith(b, "zstd", "-dc")
	}},
	{"gzip", []byte{0x1f, 0x8b, 0x08}, func(b []byte) ([]byte, error) {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		zr.Multistream(false)
		return io.ReadAll(zr)
	}},
}

// ExtractVmlinux writes the uncompressed kernel of the bzImage at image to
// dst. It fails unless the result is an ELF kernel with a PVH entry point,
// which is what qemu needs to boot it with -kernel.
func ExtractVmlinux(image, dst string) error {
	data, err := os.ReadFile(image)
	if err != nil {
		return fmt.Errorf("extract vmlinux: %w", err)
	}
	var tried []string
	for _, p := range payloads {
		for off := 0; ; {
			i := bytes.Index(data[off:], p.magic)
			if i < 0 {
				break
			}
			off += i
			out, err := p.unzip(data[off:])
			off += len(p.magic)
			if err != nil || !HasPVHEntry(out) {
				continue
			}
			if err := os.WriteFile(dst, out, 0o644); err != nil {
				return fmt.Errorf("extract vmlinux: %w", err)
			}
			return nil
		}
		tried = append(tried, p.name)
	}
	return fmt.Errorf("extract vmlinux: no %v payload in %s unpacks to an ELF kernel with a PVH entry", tried, image)
}

// xenElfnotePhys32Entry is the ELF note (owner "Xen") holding the 32-bit
// PVH entry point.
const xenElfnotePhys32Entry = 18

// HasPVHEntry reports whether b is an ELF file carrying the Xen
// PHYS32_ENTRY note that qemu's PVH boot looks for.
func HasPVHEntry(b []byte) bool {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		notes, err := io.ReadAll(p.Open())
		if err != nil {
			continue
		}
		if found, _ := findNote(notes, f.ByteOrder, "Xen", xenElfnotePhys32Entry); found {
			return true
		}
	}
	return false
}

// findNote walks ELF notes (namesz, descsz, type, name, desc; 4-aligned).
func findNote(b []byte, bo binary.ByteOrder, owner string, typ uint32) (bool, error) {
	align := func(n uint32) int { return int((n + 3) &^ 3) }
	for len(b) >= 12 {
		namesz, descsz, t := bo.Uint32(b), bo.Uint32(b[4:]), bo.Uint32(b[8:])
		b = b[12:]
		if namesz > uint32(len(b)) || align(namesz) > len(b) {
			return false, errors.New("truncated note name")
		}
		name := string(bytes.TrimRight(b[:namesz], "\x00"))
		b = b[align(namesz):]
		if descsz > uint32(len(b)) || align(descsz) > len(b) {
			return false, errors.New("truncated note")
		}
		b = b[align(descsz):]
		if name == owner && t == typ {
			return true, nil
		}
	}
	return false, nil
}

// BootImage returns the kernel image to hand qemu: the vmlinux extracted
// into dir when that works (much faster to boot under TCG), else k's
// bzImage itself, with the reason extraction failed.
func BootImage(k Kernel, dir string) (string, error) {
	dst := dir + "/vmlinux-" + k.Version
	if err := ExtractVmlinux(k.Image, dst); err != nil {
		return k.Image, err
	}
	return dst, nil
}
