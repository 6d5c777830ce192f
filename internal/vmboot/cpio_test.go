package vmboot

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

func TestCPIOHeaderBytes(t *testing.T) {
	var b bytes.Buffer
	c := NewCPIO(&b)
	if err := c.File("/etc/x", 0o600, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	// ino 1, mode 0100600, uid, gid, nlink 1, mtime, size 2, 4 dev fields,
	// namesize 6 ("etc/x" + NUL), check 0; header 110 + name 6 = 116 (aligned),
	// then "hi" padded to 4.
	want := "070701" + "00000001" + "00008180" + "00000000" + "00000000" + "00000001" + "00000000" +
		"00000002" + "00000000" + "00000000" + "00000000" + "00000000" + "00000006" + "00000000" +
		"etc/x\x00" + "hi\x00\x00"
	if got := b.String(); got != want {
		t.Errorf("File = %q, want %q", got, want)
	}
	if b.Len()%4 != 0 {
		t.Errorf("length %d not 4-aligned", b.Len())
	}
}

func TestCPIOListedByCpioTool(t *testing.T) {
	tool, err := exec.LookPath("cpio")
	if err != nil {
		t.Skip("skipping: no cpio tool (apt-get install cpio)")
	}
	var b bytes.Buffer
	c := NewCPIO(&b)
	steps := []error{
		c.Dir("bin", 0o755),
		c.File("bin/busybox", 0o755, bytes.Repeat([]byte{1}, 1001)),
		c.Symlink("bin/sh", "/bin/busybox"),
		c.Dir("dev", 0o755),
		c.CharDev("dev/console", 0o600, 5, 1),
		c.File("init", 0o755, []byte("#!/bin/sh\n")),
		c.Close(),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	cmd := exec.Command(tool, "-itv", "--quiet")
	cmd.Stdin = &b
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio -itv: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	wants := []struct{ prefix, suffix string }{
		{"drwxr-xr-x", " bin"},
		{"-rwxr-xr-x", " bin/busybox"},
		{"lrwxrwxrwx", " bin/sh -> /bin/busybox"},
		{"drwxr-xr-x", " dev"},
		{"crw-------", " dev/console"},
		{"-rwxr-xr-x", " init"},
	}
	if len(lines) != len(wants) {
		t.Fatalf("cpio lists %d entries, want %d:\n%s", len(lines), len(wants), out)
	}
	for i, w := range wants {
		if !strings.HasPrefix(lines[i], w.prefix) || !strings.HasSuffix(lines[i], w.suffix) {
			t.Errorf("entry %d = %q, want %s ...%s", i, lines[i], w.prefix, w.suffix)
		}
	}
	if !strings.Contains(lines[1], " 1001 ") {
		t.Errorf("busybox entry %q, want size 1001", lines[1])
	}
	if !strings.Contains(lines[4], "5,") {
		t.Errorf("console entry %q, want device 5,1", lines[4])
	}
}

func TestCPIOAfterClose(t *testing.T) {
	c := NewCPIO(&bytes.Buffer{})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.File("x", 0o644, nil); err == nil {
		t.Error("File after Close succeeded, want an error")
	}
}
