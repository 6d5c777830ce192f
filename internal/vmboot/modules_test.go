package vmboot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const depFixture = `kernel/drivers/block/floppy.ko:
kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko
kernel/lib/crc16.ko:
kernel/fs/mbcache.ko:
kernel/fs/jbd2/jbd2.ko:
kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/net/core/failover.ko:
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/a/loop-a.ko: kernel/a/loop_b.ko
kernel/a/loop_b.ko: kernel/a/loop-a.ko
`

func TestLoadOrder(t *testing.T) {
	paths, deps, err := parseModulesDep(strings.NewReader(depFixture))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		names   []string
		want    []string
		wantErr string
	}{
		{[]string{"floppy"}, []string{"floppy"}, ""},
		{[]string{"ext4"}, []string{"crc16", "mbcache", "jbd2", "ext4"}, ""},
		{[]string{"virtio-net", "virtio_pci"}, []string{"failover", "net_failover", "virtio", "virtio_ring", "virtio_net",
			"virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci"}, ""},
		{[]string{"floppy", "floppy"}, []string{"floppy"}, ""},
		{[]string{"nosuch"}, nil, "not in modules.dep"},
		{[]string{"loop_a"}, nil, "cycle"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.names, ","), func(t *testing.T) {
			got, err := loadOrder(paths, deps, tt.names)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("loadOrder(%v) error = %v, want %q", tt.names, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("loadOrder(%v) (-want +got):\n%s", tt.names, d)
			}
		})
	}
}

func TestResolveModulesWritesDep(t *testing.T) {
	dir := t.TempDir()
	k := Kernel{Version: "9.9.9-test", ModulesDir: dir}
	if err := os.WriteFile(filepath.Join(dir, "modules.dep"), []byte(depFixture), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"kernel/fs/ext4/ext4.ko", "kernel/lib/crc16.ko", "kernel/fs/mbcache.ko", "kernel/fs/jbd2/jbd2.ko"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("ELF "+p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := ResolveModules(k, "ext4")
	if err != nil {
		t.Fatal(err)
	}
	want := "kernel/lib/crc16.ko:\nkernel/fs/mbcache.ko:\nkernel/fs/jbd2/jbd2.ko:\n" +
		"kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko\n"
	if got := string(set.ModulesDep()); got != want {
		t.Errorf("ModulesDep() = %q, want %q", got, want)
	}
	if got := string(set.Modules[3].Data); got != "ELF kernel/fs/ext4/ext4.ko" {
		t.Errorf("ext4 data = %q", got)
	}
	if _, err := ResolveModules(k, "floppy"); err == nil {
		t.Error("ResolveModules(floppy) with the file missing succeeded, want an error")
	}
}

func TestVersionLess(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"6.1.0-9-amd64", "6.1.0-56-amd64", true},
		{"6.1.0-56-amd64", "6.1.0-9-amd64", false},
		{"5.10.0-30-amd64", "6.1.0-1-amd64", true},
		{"6.1.0-56-amd64", "6.1.0-56-amd64", false},
		{"6.1", "6.1.0", true},
	}
	for _, tt := range tests {
		if got := versionLess(tt.a, tt.b); got != tt.want {
			t.Errorf("versionLess(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzParseModulesDep(f *testing.F) {
	f.Add([]byte(depFixture))
	f.Add([]byte("no colon here\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		paths, deps, err := parseModulesDep(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		var names []string
		for n := range paths {
			names = append(names, n)
		}
		_, _ = loadOrder(paths, deps, names)
	})
}
