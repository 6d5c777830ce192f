package vmboot

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// smokeInit loads the floppy driver and reads the floppy's first sector
// through /dev/fd0, configures eth0 as the user network expects, fetches a
// page from the host (10.0.2.2) and serves one on port 8080.
const smokeInit = `#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "VMBOOT-INIT uptime=$(cut -d' ' -f1 /proc/uptime)"
modprobe floppy && echo VMBOOT-FLOPPY-LOADED
i=0; while [ ! -b /dev/fd0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
echo "VMBOOT-FD0 [$(dd if=/dev/fd0 bs=512 count=1 2>/dev/null | head -c 24)]"
modprobe e1000 && echo VMBOOT-E1000-LOADED
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
echo "VMBOOT-MAC $(cat /sys/class/net/eth0/address)"
# busybox-static's wget crashes in glibc's resolver; nc does not resolve.
echo "VMBOOT-HOSTPAGE [$(printf 'GET /hello HTTP/1.0\r\n\r\n' | nc -w 10 10.0.2.2 @PORT@ | tail -n 1)]"
mkdir -p /www && echo "guest page from busybox httpd" > /www/index.html
httpd -p 8080 -h /www
echo "VMBOOT-READY uptime=$(cut -d' ' -f1 /proc/uptime)"
while true; do sleep 60; done
`

func TestBootSmoke(t *testing.T) {
	host, err := FindHost()
	if err != nil {
		t.Skipf("skipping VM boot: %v", err)
	}
	if testing.Short() {
		t.Skip("skipping VM boot in -short mode")
	}
	dir := t.TempDir()

	hostSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "host says hello to %s", r.URL.Path)
	}))
	defer hostSrv.Close()
	_, port, _ := net.SplitHostPort(hostSrv.Listener.Addr().String())

	mods, err := ResolveModules(host.Kernel, "floppy", "e1000")
	if err != nil {
		t.Fatal(err)
	}
	ir := &Initramfs{Busybox: host.Busybox, Modules: mods, Init: strings.ReplaceAll(smokeInit, "@PORT@", port)}
	initrd := filepath.Join(dir, "initrd.cpio")
	if err := ir.WriteFile(initrd); err != nil {
		t.Fatal(err)
	}
	floppy := filepath.Join(dir, "floppy.img")
	img := make([]byte, 1<<20)
	copy(img, "VMBOOT-FLOPPY-SECTOR-0!!")
	if err := os.WriteFile(floppy, img, 0o644); err != nil {
		t.Fatal(err)
	}
	kernel, err := BootImage(host.Kernel, dir)
	if err != nil {
		t.Logf("booting the compressed kernel: %v", err)
	}
	accel, err := host.SelectAccel(context.Background(), kernel, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("accelerator: %s", accel)
	serial := filepath.Join(dir, "serial.log")
	start := time.Now()
	vm, err := Start(context.Background(), Config{
		QEMU: host.QEMU, Kernel: kernel, Initrd: initrd, KVM: host.KVM,
		Floppy: floppy, MAC: "52:54:00:12:34:56",
		Forward: []Forward{{Guest: 8080}},
		Serial:  serial, Timeout: 4 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		vm.Stop()
		if t.Failed() {
			data, _ := os.ReadFile(serial)
			t.Logf("serial console:\n%s\nqemu: %s", data, vm.Output())
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	m, err := WaitSerial(ctx, vm, serial, regexp.MustCompile(`VMBOOT-READY uptime=(\S+)`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("guest ready after %v wall clock, guest uptime %ss (kvm=%v)", time.Since(start).Round(time.Millisecond), m[1], host.KVM)
	log, _ := os.ReadFile(serial)
	for _, want := range []string{
		"VMBOOT-FLOPPY-LOADED",
		"VMBOOT-FD0 [VMBOOT-FLOPPY-SECTOR-0!!]",
		"VMBOOT-E1000-LOADED",
		"VMBOOT-MAC 52:54:00:12:34:56",
		"VMBOOT-HOSTPAGE [host says hello to /hello]",
	} {
		if !strings.Contains(string(log), want) {
			t.Errorf("serial log lacks %q", want)
		}
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", vm.Ports[8080]))
	if err != nil {
		t.Fatalf("forwarded 8080: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := strings.TrimSpace(string(body)); got != "guest page from busybox httpd" {
		t.Errorf("GET forwarded 8080 = %q, want the guest's page", got)
	}
}
