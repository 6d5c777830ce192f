package vmboot

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestChooseAccel(t *testing.T) {
	dir := t.TempDir()
	devKVM := filepath.Join(dir, "kvm") // opens like a usable /dev/kvm
	if err := os.WriteFile(devKVM, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "no-kvm")
	ok := func(context.Context) error { return nil }
	broken := func(context.Context) error {
		return errors.New("qemu: KVM internal error. Suberror: 1")
	}
	tests := []struct {
		name      string
		forced    string
		dev       string
		probe     func(context.Context) error
		wantKVM   bool
		wantProbe bool
		reason    string
		wantErr   bool
	}{
		{"kvm works", "", devKVM, ok, true, true, "probe guest booted", false},
		{"kvm opens but cannot run the guest", "", devKVM, broken, false, true, "KVM probe failed: qemu: KVM internal error", false},
		{"no /dev/kvm", "", missing, ok, false, false, "no such file", false},
		{"forced tcg", "tcg", devKVM, ok, false, false, "LUOYUN_VM_ACCEL=tcg", false},
		{"forced kvm", "KVM", missing, broken, true, false, "LUOYUN_VM_ACCEL=kvm", false},
		{"bad value", "xen", devKVM, ok, false, false, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probed := false
			a, err := ChooseAccel(context.Background(), tt.forced, func() error { return openDevice(tt.dev) },
				func(ctx context.Context) error { probed = true; return tt.probe(ctx) })
			if (err != nil) != tt.wantErr {
				t.Fatalf("ChooseAccel = %v, %v; want error %v", a, err, tt.wantErr)
			}
			if a.KVM != tt.wantKVM || probed != tt.wantProbe || !strings.Contains(a.String(), tt.reason) {
				t.Fatalf("ChooseAccel = %q (probed %v), want kvm %v, probed %v, reason with %q", a, probed, tt.wantKVM, tt.wantProbe, tt.reason)
			}
		})
	}
}

// fakeQEMU writes a script standing in for qemu-system-x86_64: it finds
// the serial file in its arguments and runs body with $serial set.
func fakeQEMU(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "qemu-system-x86_64")
	script := "#!/bin/sh\nserial=\nfor a; do case $a in file:*) serial=${a#file:};; esac; done\n" + body + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProbeBoot: the probe tells a guest that ran from one that did not,
// and gives up on a nested-KVM failure at once instead of waiting for the
// timeout (qemu keeps running, the guest paused, after that error).
func TestProbeBoot(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		timeout time.Duration
		want    string // "" = success; else a substring of the error
		within  time.Duration
	}{
		{"guest ran", `echo VMBOOT-PROBE-OK > "$serial"; exit 0`, time.Minute, "", 10 * time.Second},
		{"nested kvm emulation failure", `echo 'KVM internal error. Suberror: 1' >&2; echo 'emulation failure' >&2; exec sleep 600`,
			time.Minute, "KVM internal error", 10 * time.Second},
		{"no init output", `exit 0`, time.Minute, "without running its init", 10 * time.Second},
		{"qemu fails", `echo 'qemu-system-x86_64: failed to initialize kvm: Permission denied' >&2; exit 1`,
			time.Minute, "Permission denied", 10 * time.Second},
		{"hangs", `exec sleep 600`, 1500 * time.Millisecond, "no power-off within", 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			start := time.Now()
			err := ProbeBoot(context.Background(), Config{QEMU: fakeQEMU(t, tt.body), Kernel: "/k", Initrd: "/i",
				KVM: true, NoNet: true, Serial: filepath.Join(dir, "serial.log"), Timeout: tt.timeout})
			took := time.Since(start)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("ProbeBoot = %v, want success", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("ProbeBoot = %v, want an error with %q", err, tt.want)
			case took > tt.within:
				t.Fatalf("ProbeBoot took %v, want under %v", took, tt.within)
			}
		})
	}
}
