package vmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestINI(t *testing.T) {
	in := instance(42, "k-0123456789", "vm.example", "$6$s$h")
	in.CLCPort = 1369
	ini, err := in.INI()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(ini), "\n"), "\n")
	var keys []string
	for _, l := range lines {
		k, _, _ := strings.Cut(l, "=")
		keys = append(keys, k)
	}
	// The compute node's order.
	want := []string{"CLC_IP", "CLC_PORT", "CLC_MCAST_IP", "CLC_MCAST_PORT", "TAG", "KEY", "JSON"}
	if d := cmp.Diff(want, keys); d != "" {
		t.Errorf("INI keys (-want +got):\n%s", d)
	}
	for _, w := range []string{"CLC_IP=10.0.2.2\n", "TAG=42\n", "KEY=k-0123456789\n",
		`"mac":"52:54:00:12:34:56"`, `"ip":"10.0.2.15"`, `"gateway":"10.0.2.2"`, `"name":"vm.example"`,
		`"webssh":{"port":8001,"status":"enable"}`, `"passwd_hash":"$6$s$h"`} {
		if !strings.Contains(string(ini), w) {
			t.Errorf("INI() lacks %q:\n%s", w, ini)
		}
	}
}

func TestDiskFiles(t *testing.T) {
	for _, tool := range []string{"mkfs.ext2", "debugfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping: no %s (apt-get install e2fsprogs)", tool)
		}
	}
	dir := t.TempDir()
	content := filepath.Join(dir, "content")
	if err := os.MkdirAll(filepath.Join(content, "LuoYun", "conf"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(content, "LuoYun", "conf", "luoyun.conf"), []byte("TAG=7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(content, "LuoYun", "conf", "other"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "disk.img")
	if err := MakeDisk(img, content, 4); err != nil {
		t.Fatal(err)
	}
	got, err := DiskFile(img, "/LuoYun/conf/luoyun.conf")
	if err != nil || got != "TAG=7\n" {
		t.Errorf("DiskFile = %q, %v; want TAG=7", got, err)
	}
	if _, err := DiskFile(img, "/LuoYun/conf/missing"); err == nil {
		t.Error("DiskFile(missing) succeeded, want an error")
	}
	if mode, err := DiskMode(img, "/LuoYun/conf/luoyun.conf"); err != nil || mode != 0o600 {
		t.Errorf("DiskMode = %o, %v; want 600", mode, err)
	}
	names, err := DiskList(img, "/LuoYun/conf")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"luoyun.conf", "other"}, names); d != "" {
		t.Errorf("DiskList (-want +got):\n%s", d)
	}
}
