package vmboot

import (
	"strings"
	"testing"
)

func TestArgs(t *testing.T) {
	base := Config{Kernel: "/k", Initrd: "/i", Serial: "/s.log"}
	tests := []struct {
		name    string
		cfg     func(Config) Config
		ports   map[int]int
		want    []string // substrings of the joined command line
		notWant []string
	}{
		{"defaults", func(c Config) Config { return c }, nil,
			[]string{"-machine pc,accel=tcg", "-m 512", "-smp 1", "-no-reboot", "-kernel /k", "-initrd /i",
				"-append " + DefaultAppend, "-serial file:/s.log", "-netdev user,id=n0 -device e1000,netdev=n0"},
			[]string{"if=floppy", "if=virtio", "hostfwd", "mac="}},
		{"appliance", func(c Config) Config {
			c.KVM, c.Memory, c.CPUs = true, 256, 2
			c.Floppy, c.Disk, c.MAC = "/f.img", "/d.img", "52:54:00:12:34:56"
			c.Forward = []Forward{{Guest: 8080}, {Guest: 8001}}
			return c
		}, map[int]int{8080: 40001, 8001: 40002},
			[]string{"-machine pc,accel=kvm", "-m 256", "-smp 2",
				"-drive if=floppy,index=0,format=raw,file=/f.img", "-drive if=virtio,format=raw,file=/d.img",
				"-netdev user,id=n0,hostfwd=tcp:127.0.0.1:40001-:8080,hostfwd=tcp:127.0.0.1:40002-:8001",
				"-device e1000,netdev=n0,mac=52:54:00:12:34:56"},
			[]string{"accel=tcg"}},
		{"virtio nic", func(c Config) Config { c.NIC = "virtio-net-pci"; return c }, nil,
			[]string{"-device virtio-net-pci,netdev=n0"}, []string{"e1000"}},
		{"no network", func(c Config) Config { c.NoNet = true; return c }, nil,
			[]string{"-nic none"}, []string{"-netdev", "-device"}},
		{"custom append", func(c Config) Config { c.Append = "console=ttyS0 init=/x"; return c }, nil,
			[]string{"-append console=ttyS0 init=/x"}, []string{"rdinit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(tt.cfg(base).Args(tt.ports), " ")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Args() = %q, want it to contain %q", got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("Args() = %q, want no %q", got, w)
				}
			}
		})
	}
}
