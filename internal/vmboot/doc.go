// Package vmboot boots Debian's kernel under qemu-system-x86_64 with an
// initramfs built in Go: a newc cpio holding busybox, the kernel modules
// the guest needs (resolved through modules.dep), an init script and any
// files or host directories the caller adds. The serial console goes to a
// file; the guest's TCP ports are forwarded to host loopback ports through
// qemu's user-mode network, where the guest sees the host's loopback as
// 10.0.2.2.
package vmboot
