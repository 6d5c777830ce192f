package floppyconfcmd

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/floppytest"
	"github.com/luoyun/osmanager/pkg/floppy"
)

// vmInit is the guest's /init: floppyconf must load the floppy driver
// itself (through /sbin/modprobe, which insmods the module we ship), wait
// for /dev/fd0, read the compute-node image from the real floppy
// controller, and leave the same bytes as the image's luoyun.ini.
const vmInit = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /conf
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
[ -e /dev/fd0 ] && echo "FD0-BEFORE-MODPROBE"
/floppyconf -d /dev/fd0 -c /conf/luoyun.conf --wait 30s --settings /none.toml
echo "RUN1=$?"
/floppyconf -d /dev/fd0 -c /conf/luoyun.conf --wait 30s --settings /none.toml
echo "RUN2=$?"
echo "MODPROBE $(cat /modprobe.args)"
cmp /expected.ini /conf/luoyun.conf && echo "CONTENT-SAME"
ls -l /conf/luoyun.conf
poweroff -f
`

// TestVM boots the Debian kernel under qemu with the image as its floppy
// (-drive if=floppy, what -fda does) and runs floppyconf in the guest.
// Skipped without qemu, a kernel with floppy.ko, busybox or cpio, and
// with -short.
func TestVM(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no VM boot")
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Skip("qemu-system-x86_64 not installed")
	}
	for _, tool := range []string{"busybox", "cpio"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	kernels, _ := filepath.Glob("/boot/vmlinuz-*")
	if len(kernels) == 0 {
		t.Skip("no kernel in /boot (apt-get install linux-image-amd64)")
	}
	kernel := kernels[len(kernels)-1]
	release := strings.TrimPrefix(filepath.Base(kernel), "vmlinuz-")
	mod := filepath.Join("/lib/modules", release, "kernel/drivers/block/floppy.ko")
	if _, err := os.Stat(mod); err != nil {
		t.Skipf("no floppy module for %s: %v", release, err)
	}
	busybox, _ := exec.LookPath("busybox")
	if out, _ := exec.Command("file", busybox).Output(); len(out) > 0 && !bytes.Contains(out, []byte("statically linked")) {
		t.Skipf("%s is not static (apt-get install busybox-static)", busybox)
	}

	bin := binary(t)
	ini := floppytest.Ini(20000) // past the FAT chain: read contiguously, from a real floppy controller
	img, err := floppy.Make(ini)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	imgPath := filepath.Join(dir, "luoyun.img")
	must(t, os.WriteFile(imgPath, img, 0o600))

	root := filepath.Join(dir, "initramfs")
	for _, d := range []string{"bin", "sbin"} {
		must(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	copyFile(t, busybox, filepath.Join(root, "bin/busybox"), 0o755)
	copyFile(t, bin, filepath.Join(root, "floppyconf"), 0o755)
	copyFile(t, mod, filepath.Join(root, "floppy.ko"), 0o644)
	must(t, os.WriteFile(filepath.Join(root, "init"), []byte(vmInit), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "sbin/modprobe"), []byte("#!/bin/sh\necho \"$@\" > /modprobe.args\nexec insmod /floppy.ko\n"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "expected.ini"), ini, 0o644))
	must(t, os.WriteFile(filepath.Join(root, "none.toml"), nil, 0o644))
	initrd := filepath.Join(dir, "initrd.cpio")
	cpio := exec.Command("sh", "-c", "find . | cpio -o -H newc --quiet > "+initrd)
	cpio.Dir = root
	if out, err := cpio.CombinedOutput(); err != nil {
		t.Fatalf("cpio: %v: %s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, "-m", "256", "-nographic", "-no-reboot",
		"-kernel", kernel, "-initrd", initrd,
		"-append", "console=ttyS0 panic=-1 loglevel=3",
		"-drive", "file="+imgPath+",if=floppy,index=0,format=raw",
		"-nic", "none")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("VM did not finish in time:\n%s", tail(out))
	}
	if err != nil {
		t.Fatalf("qemu: %v\n%s", err, tail(out))
	}
	s := string(out)
	for _, want := range []string{"MODPROBE floppy", "updated", "RUN1=0", "unchanged", "RUN2=0", "CONTENT-SAME", "-rw-------"} {
		if !strings.Contains(s, want) {
			t.Errorf("guest output lacks %q:\n%s", want, tail(out))
		}
	}
	if strings.Contains(s, "FD0-BEFORE-MODPROBE") {
		t.Errorf("/dev/fd0 existed before modprobe; the wait path was not exercised")
	}
}

func tail(b []byte) string {
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(src)
	must(t, err)
	must(t, os.WriteFile(dst, data, mode))
}
