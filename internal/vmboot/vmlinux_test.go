package vmboot

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

func note(owner string, typ uint32, desc []byte) []byte {
	name := append([]byte(owner), 0)
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(name)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(desc)))
	b = binary.LittleEndian.AppendUint32(b, typ)
	b = append(b, name...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, desc...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func TestFindNote(t *testing.T) {
	entry := []byte{0, 0, 0x10, 0}
	tests := []struct {
		name  string
		notes []byte
		want  bool
	}{
		{"pvh", note("Xen", 18, entry), true},
		{"after gnu", append(note("GNU", 3, make([]byte, 20)), note("Xen", 18, entry)...), true},
		{"other xen note", note("Xen", 1, entry), false},
		{"other owner", note("Linux", 18, entry), false},
		{"truncated", note("Xen", 18, entry)[:14], false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		got, _ := findNote(tt.notes, binary.LittleEndian, "Xen", 18)
		if got != tt.want {
			t.Errorf("findNote(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestExtractVmlinuxRefusesNonKernel(t *testing.T) {
	p := filepath.Join(t.TempDir(), "vmlinuz")
	if err := os.WriteFile(p, []byte("MZ not a kernel \xfd7zXZ\x00 garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ExtractVmlinux(p, p+".elf"); err == nil {
		t.Error("ExtractVmlinux(garbage) succeeded, want an error")
	}
}

func TestExtractVmlinuxDebianKernel(t *testing.T) {
	k, err := FindKernel("/")
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	dst := filepath.Join(t.TempDir(), "vmlinux")
	if err := ExtractVmlinux(k.Image, dst); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if !HasPVHEntry(b) {
		t.Errorf("%s from %s has no PVH entry", dst, k.Image)
	}
}

func FuzzFindNote(f *testing.F) {
	f.Add(note("Xen", 18, []byte{1, 2, 3, 4}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 18, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = findNote(b, binary.LittleEndian, "Xen", 18)
	})
}
