package vmboot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// AccelEnv is the environment variable that forces the accelerator:
// "kvm" or "tcg"; unset or empty means "probe".
const AccelEnv = "LUOYUN_VM_ACCEL"

// ProbeTimeout bounds the KVM probe boot. A working KVM powers the probe
// guest off in one or two seconds; TCG boots it in about 7 s on the
// build machine, so a KVM that needs longer is worth nothing here.
const ProbeTimeout = 20 * time.Second

// Accel is the accelerator chosen for the guests and why.
type Accel struct {
	KVM    bool
	Reason string
}

// String returns e.g. "kvm (probe guest booted in 1.2s)".
func (a Accel) String() string {
	name := "tcg"
	if a.KVM {
		name = "kvm"
	}
	return name + " (" + a.Reason + ")"
}

// ChooseAccel decides the accelerator. forced is AccelEnv's value: "kvm"
// or "tcg" wins without a probe, anything else but "" is an error.
// Otherwise TCG when openKVM fails (no /dev/kvm, no permission), else KVM
// only when probe (a short boot under KVM) succeeds: a /dev/kvm that
// opens may still be unable to run the guest (nested KVM: "KVM internal
// error. Suberror: 1 ... emulation failure").
func ChooseAccel(ctx context.Context, forced string, openKVM func() error, probe func(context.Context) error) (Accel, error) {
	switch strings.ToLower(strings.TrimSpace(forced)) {
	case "kvm":
		return Accel{KVM: true, Reason: AccelEnv + "=kvm"}, nil
	case "tcg":
		return Accel{Reason: AccelEnv + "=tcg"}, nil
	case "":
	default:
		return Accel{}, fmt.Errorf("%s=%q: want kvm or tcg", AccelEnv, forced)
	}
	if err := openKVM(); err != nil {
		return Accel{Reason: err.Error()}, nil
	}
	start := time.Now()
	if err := probe(ctx); err != nil {
		if ctx.Err() != nil {
			return Accel{}, fmt.Errorf("KVM probe: %w", ctx.Err())
		}
		return Accel{Reason: "KVM probe failed: " + err.Error()}, nil
	}
	return Accel{KVM: true, Reason: fmt.Sprintf("probe guest booted in %v", time.Since(start).Round(10*time.Millisecond))}, nil
}

// openDevice opens a KVM device node read-write, as qemu does.
func openDevice(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

// probeInit says it ran and powers the guest off (qemu then exits, with
// -no-reboot).
const probeInit = "#!/bin/sh\necho VMBOOT-PROBE-OK\n/bin/busybox poweroff -f\n"

// SelectAccel chooses the accelerator for h's guests (ChooseAccel with
// AccelEnv, /dev/kvm, and a probe booting kernel, the image the tests
// boot, with a busybox init that powers off) and sets h.KVM. dir holds
// the probe's files.
func (h *Host) SelectAccel(ctx context.Context, kernel, dir string) (Accel, error) {
	a, err := ChooseAccel(ctx, os.Getenv(AccelEnv), func() error { return openDevice("/dev/kvm") },
		func(ctx context.Context) error { return h.probeKVM(ctx, kernel, dir) })
	h.KVM = a.KVM
	return a, err
}

// probeKVM boots kernel under KVM with probeInit and returns nil once the
// guest has said so and powered off; an error when qemu reports a KVM
// failure, exits otherwise, or ProbeTimeout passes.
func (h *Host) probeKVM(ctx context.Context, kernel, dir string) error {
	initrd := filepath.Join(dir, "probe.cpio")
	ir := &Initramfs{Busybox: h.Busybox, Init: probeInit}
	if err := ir.WriteFile(initrd); err != nil {
		return err
	}
	return ProbeBoot(ctx, Config{QEMU: h.QEMU, Kernel: kernel, Initrd: initrd, KVM: true, NoNet: true,
		Append: "console=ttyS0 panic=-1 no_timer_check rdinit=/init", // not quiet: the serial log shows how far it got
		Serial: filepath.Join(dir, "probe-serial.log"), Timeout: ProbeTimeout})
}

// ProbeBoot boots cfg and waits for the guest to print VMBOOT-PROBE-OK
// and qemu to exit cleanly. qemu's "KVM internal error" (after which it
// keeps running, the guest paused) fails the probe at once.
func ProbeBoot(ctx context.Context, cfg Config) error {
	start := time.Now()
	vm, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer vm.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if out := vm.Output(); strings.Contains(out, "KVM internal error") || strings.Contains(out, "emulation failure") {
			return fmt.Errorf("qemu: %s", firstLine(out, "KVM internal error", "emulation failure"))
		}
		select {
		case <-vm.Done():
			if err := vm.Wait(); err != nil {
				if cfg.Timeout > 0 && time.Since(start) >= cfg.Timeout {
					serial, _ := os.ReadFile(cfg.Serial)
					return fmt.Errorf("no power-off within %v (%d bytes on the serial console)", cfg.Timeout, len(serial))
				}
				return err
			}
			serial, _ := os.ReadFile(cfg.Serial)
			if !strings.Contains(string(serial), "VMBOOT-PROBE-OK") {
				return errors.New("the probe guest exited without running its init")
			}
			return nil
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// firstLine returns the first line of s holding one of subs.
func firstLine(s string, subs ...string) string {
	for _, l := range strings.Split(s, "\n") {
		for _, sub := range subs {
			if strings.Contains(l, sub) {
				return strings.TrimSpace(l)
			}
		}
	}
	return ""
}
