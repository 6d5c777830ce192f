// Package vmtest boots the whole OS manager in a virtual machine: Debian's
// kernel under qemu, a compute-node floppy read through the kernel's
// floppy driver, the /LuoYun tree on a persistent virtual disk, the network
// configured by osc on a real (emulated) NIC, and the controller simulator
// on the host. Its test is TestAppliance; `make vmtest` runs it alone.
//
// The guest is built here from parts: an initramfs (busybox, kernel
// modules, an init script that runs /etc/rc2.d/S99luoyun-osmanager start
// as a SysV appliance does) and an ext2 disk image holding /LuoYun.
package vmtest
