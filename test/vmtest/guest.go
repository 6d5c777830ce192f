package vmtest

import (
	"strings"

	"github.com/luoyun/osmanager/internal/vmboot"
)

// EarlyModules are loaded by the initramfs to reach the appliance disk:
// virtio and ext2 (through ext4, which wants crc32c).
var EarlyModules = []string{"virtio_pci", "virtio_blk", "crc32c_generic", "ext4"}

// ApplianceModules are loaded by the appliance's init before its rc
// scripts: the NIC. (osc opens only a NETLINK_ROUTE socket, so it needs
// neither xfrm_user nor nfnetlink; the VM proves that.)
//
// The floppy driver is in the image too, but floppyconf loads it, as on an
// appliance.
var ApplianceModules = []string{"e1000"}

// installerInit is the initramfs's /init. On the first boot it installs
// the appliance onto the empty ext2 disk /dev/vda, the way an image is
// built: the root file system (busybox, /etc, the kernel modules), the
// /LuoYun tree, then /LuoYun/install.sh --init sysv in a chroot. Every
// boot then switches to the disk, which persists between boots.
// Lines starting "VMTEST:" are markers the test reads on the console.
const installerInit = `#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "VMTEST: $*"; }
say "initramfs started uptime=$(cut -d' ' -f1 /proc/uptime)"
for m in @EARLY@; do modprobe "$m" || say "modprobe $m failed"; done
i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
mkdir -p /newroot
if ! mount -t ext2 /dev/vda /newroot; then
	say "cannot mount the appliance disk /dev/vda"
	exec sh
fi
if [ ! -e /newroot/etc/appliance-installed ]; then
	say "installing the appliance onto /dev/vda"
	for d in bin sbin usr lib etc root LuoYun; do cp -a "/$d" /newroot/ || say "copy /$d failed"; done
	for d in proc sys dev run tmp mnt var var/log; do mkdir -p "/newroot/$d"; done
	chmod 1777 /newroot/tmp
	mount -t devtmpfs devtmpfs /newroot/dev
	say "install.sh: $(chroot /newroot /LuoYun/install.sh --init sysv 2>&1 | tail -n 1)"
	umount /newroot/dev
	date > /newroot/etc/appliance-installed
	sync
else
	say "the appliance is installed on /dev/vda since $(cat /newroot/etc/appliance-installed)"
fi
umount /dev /sys /proc
exec switch_root /newroot /sbin/appliance-init
`

// applianceInit is the appliance's init (pid 1 after switch_root): it
// mounts the kernel file systems, loads the NIC driver and runs the SysV
// start scripts of runlevel 2, as an appliance's rc does.
const applianceInit = `#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
say() { echo "VMTEST: $*"; }
say "appliance init started uptime=$(cut -d' ' -f1 /proc/uptime) root=$(awk '$2 == "/" {print $1; exit}' /proc/mounts)"
for m in @APPLIANCE@; do modprobe "$m" || say "modprobe $m failed"; done
conftag() { [ -f /LuoYun/conf/luoyun.conf ] && grep '^TAG=' /LuoYun/conf/luoyun.conf || echo none; }
say "luoyun.conf before boot: $(conftag)"
ip link set lo up
hostname -F /etc/hostname
for s in /etc/rc2.d/S*; do
	[ -x "$s" ] || continue
	say "rc2: $s start"
	"$s" start
	say "rc2: $s exit=$?"
done
sync
say "luoyun.conf after boot: $(conftag) mode=$(stat -c %a /LuoYun/conf/luoyun.conf 2>/dev/null)"
say "floppy driver: $(grep -c '^floppy ' /proc/modules) fd0 stat: $(cat /sys/block/fd0/stat 2>/dev/null)"
say "eth0: $(ip -4 -o addr show dev eth0 | awk '{print $4}') $(cat /sys/class/net/eth0/address) route: $(ip route | grep '^default')"
say "identity: machine-id=$(cat /etc/machine-id) hostname=$(hostname) keys=$(for f in /etc/ssh/ssh_host_*_key.pub; do cut -d' ' -f2 "$f" | sha256sum | cut -c1-16; done | tr '\n' ' ')"
say "processes: $(ps -o comm | sort | grep -E '^(web|webssh|osm)$' | tr '\n' ' ')"
say "booted uptime=$(cut -d' ' -f1 /proc/uptime)"
while true; do sleep 2; sync; done
`

// InstallerInit returns the initramfs's /init.
func InstallerInit() string {
	return strings.ReplaceAll(installerInit, "@EARLY@", strings.Join(EarlyModules, " "))
}

// ApplianceInit returns the appliance's /sbin/appliance-init.
func ApplianceInit() string {
	return strings.ReplaceAll(applianceInit, "@APPLIANCE@", strings.Join(ApplianceModules, " "))
}

// guestEtc are the files of the guest's /etc: root with a locked
// password (osc puts the floppy's hash in) and what busybox login needs.
var guestEtc = []vmboot.File{
	{Path: "/etc/passwd", Mode: 0o644, Data: []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")},
	{Path: "/etc/shadow", Mode: 0o600, Data: []byte("root:*:20000:0:99999:7:::\nnobody:*:20000:0:99999:7:::\n")},
	{Path: "/etc/group", Mode: 0o644, Data: []byte("root:x:0:\ntty:x:5:\nnogroup:x:65534:\n")},
	// As CentOS 6/7 and older Debian ship it: root may log in on the
	// consoles only, no pseudo terminal (busybox login checks it).
	{Path: "/etc/securetty", Mode: 0o644, Data: []byte("console\ntty1\ntty2\nttyS0\n")},
	{Path: "/etc/hosts", Mode: 0o644, Data: []byte("127.0.0.1 localhost appliance\n")},
	{Path: "/etc/hostname", Mode: 0o644, Data: []byte("appliance\n")},
	{Path: "/etc/resolv.conf", Mode: 0o644, Data: []byte("")},
	{Path: "/etc/shells", Mode: 0o644, Data: []byte("/bin/sh\n/bin/ash\n")},
	{Path: "/etc/rc2.d/README", Mode: 0o644, Data: []byte("SysV start scripts of runlevel 2; /sbin/appliance-init runs S* start.\n")},
}

// NewInitramfs returns the guest's initramfs: busybox, the modules, the
// installer init, the appliance's /etc and init, the /LuoYun tree
// staged under tree (tree/LuoYun), and extra files (the image's SSH host
// keys and machine-id, ImageIdentity).
func NewInitramfs(host vmboot.Host, tree string, extra ...vmboot.File) (*vmboot.Initramfs, error) {
	names := append(append([]string{"floppy"}, EarlyModules...), ApplianceModules...)
	mods, err := vmboot.ResolveModules(host.Kernel, names...)
	if err != nil {
		return nil, err
	}
	files := append([]vmboot.File{{Path: "/sbin/appliance-init", Mode: 0o755, Data: []byte(ApplianceInit())}}, guestEtc...)
	files = append(files, extra...)
	return &vmboot.Initramfs{
		Busybox:       host.Busybox,
		BusyboxSetuid: true, // its su, as busybox-based images install it
		Modules:       mods,
		Init:          InstallerInit(),
		Files:         files,
		Trees:         []vmboot.Tree{{Src: tree + "/LuoYun", Dst: "/LuoYun"}},
	}, nil
}
