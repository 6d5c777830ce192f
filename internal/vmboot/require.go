package vmboot

import (
	"debug/elf"
	"errors"
	"fmt"
	"os/exec"
)

// Host is what a boot needs from the host: qemu, a kernel, a static busybox.
type Host struct {
	QEMU    string
	Kernel  Kernel
	Busybox string
	KVM     bool // set by SelectAccel
}

// FindHost looks for qemu-system-x86_64, an installed kernel and a static
// busybox. The error says which Debian package is missing.
func FindHost() (Host, error) {
	var h Host
	var errs []error
	q, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		errs = append(errs, errors.New("no qemu-system-x86_64 (apt-get install qemu-system-x86)"))
	}
	h.QEMU = q
	if h.Kernel, err = FindKernel("/"); err != nil {
		errs = append(errs, err)
	}
	h.Busybox, err = staticBusybox()
	if err != nil {
		errs = append(errs, err)
	}
	return h, errors.Join(errs...)
}

// staticBusybox finds a busybox without a program interpreter (statically
// linked, as Debian's busybox-static installs it): the initramfs has no libc.
func staticBusybox() (string, error) {
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if IsStatic(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath("busybox"); err == nil && IsStatic(p) {
		return p, nil
	}
	return "", fmt.Errorf("no statically linked busybox (apt-get install busybox-static)")
}

// IsStatic reports whether p is an ELF executable without PT_INTERP.
func IsStatic(p string) bool {
	f, err := elf.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}
