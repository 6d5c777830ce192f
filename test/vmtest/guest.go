package vmtest

import (
	"strings"

	"github.com/luoyun/osmanager/internal/vmboot"
)

// GuestModules are loaded by init before the OS manager starts: the NIC,
// the virtio disk and ext2 (through ext4, which wants crc32c). The floppy
// driver is in the image too, but floppyconf loads it, as on an appliance.
//
// xfrm_user and nfnetlink are a workaround for osc: its netlink handle
// (vishvananda/netlink NewHandle with no families) also opens NETLINK_XFRM
// and NETLINK_NETFILTER sockets, which fail with "protocol not supported"
// on a kernel where those modules are not loaded; a full distribution
// autoloads them, this initramfs does not. See docs/vmtest.md.
var GuestModules = []string{"e1000", "virtio_pci", "virtio_blk", "crc32c_generic", "ext4", "xfrm_user", "nfnetlink"}

// initScript is the guest's /init: it mounts the kernel file systems,
// loads the drivers, mounts the appliance disk (which holds /LuoYun) and
// runs the SysV start scripts of runlevel 2, as an appliance's rc does.
// Lines starting "VMTEST:" are markers the test reads on the serial console.
const initScript = `#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs tmpfs /run
say() { echo "VMTEST: $*"; }
say "init started uptime=$(cut -d' ' -f1 /proc/uptime)"
for m in @MODULES@; do modprobe "$m" || say "modprobe $m failed"; done
i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
mkdir -p /disk /LuoYun
mount -t ext2 /dev/vda /disk || say "mount /dev/vda failed"
mount --bind /disk/LuoYun /LuoYun || say "bind /LuoYun failed"
conftag() { [ -f /LuoYun/conf/luoyun.conf ] && grep '^TAG=' /LuoYun/conf/luoyun.conf || echo none; }
say "luoyun.conf before boot: $(conftag)"
ip link set lo up
hostname appliance
for s in /etc/rc2.d/S*; do
	say "rc2: $s start"
	"$s" start
	say "rc2: $s exit=$?"
done
sync
say "luoyun.conf after boot: $(conftag) mode=$(stat -c %a /LuoYun/conf/luoyun.conf 2>/dev/null)"
say "floppy driver: $(grep -c '^floppy ' /proc/modules) fd0 stat: $(cat /sys/block/fd0/stat 2>/dev/null)"
say "eth0: $(ip -4 -o addr show dev eth0 | awk '{print $4}') $(cat /sys/class/net/eth0/address) route: $(ip route | grep '^default')"
say "processes: $(ps -o comm | sort | grep -E '^(web|webssh|osm)$' | tr '\n' ' ')"
say "booted uptime=$(cut -d' ' -f1 /proc/uptime)"
while true; do sleep 2; sync; done
`

// InitScript returns the guest's /init.
func InitScript() string {
	return strings.ReplaceAll(initScript, "@MODULES@", strings.Join(GuestModules, " "))
}

// guestEtc are the files of the guest's /etc: root with a locked
// password (osc puts the floppy's hash in), and the SysV link that
// /LuoYun/install.sh makes on an appliance.
var guestEtc = []vmboot.File{
	{Path: "/etc/passwd", Mode: 0o644, Data: []byte("root:x:0:0:root:/root:/bin/sh\n")},
	{Path: "/etc/shadow", Mode: 0o600, Data: []byte("root:*:20000:0:99999:7:::\n")},
	{Path: "/etc/group", Mode: 0o644, Data: []byte("root:x:0:\ntty:x:5:\n")},
	{Path: "/etc/hosts", Mode: 0o644, Data: []byte("127.0.0.1 localhost appliance\n")},
	{Path: "/etc/resolv.conf", Mode: 0o644, Data: []byte("")},
	{Path: "/etc/shells", Mode: 0o644, Data: []byte("/bin/sh\n/bin/ash\n")},
}

// NewInitramfs returns the guest's initramfs for kernel k.
func NewInitramfs(host vmboot.Host) (*vmboot.Initramfs, error) {
	mods, err := vmboot.ResolveModules(host.Kernel, append([]string{"floppy"}, GuestModules...)...)
	if err != nil {
		return nil, err
	}
	return &vmboot.Initramfs{
		Busybox: host.Busybox,
		Modules: mods,
		Init:    InitScript(),
		Files:   guestEtc,
		Links:   []vmboot.Link{{Path: "/etc/rc2.d/S99luoyun-osmanager", Target: "/LuoYun/osmanager.sh"}},
	}, nil
}
