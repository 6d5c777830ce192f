package vmboot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Forward maps a host loopback port to a guest TCP port through qemu's
// user-mode network (hostfwd=tcp:127.0.0.1:Host-:Guest).
type Forward struct {
	Host  int // 0: pick a free port
	Guest int
}

// Config describes one boot of the guest.
type Config struct {
	QEMU    string        // qemu-system-x86_64 binary; "" = look it up in PATH
	Kernel  string        // kernel image
	Initrd  string        // initramfs image
	Append  string        // kernel command line; "" = DefaultAppend
	Memory  int           // MiB; 0 = 512
	CPUs    int           // 0 = 1
	KVM     bool          // use KVM (Host.SelectAccel decides)
	Floppy  string        // raw image attached as the first floppy drive (-fda), or ""
	Disk    string        // raw image attached as a virtio disk (/dev/vda), or ""
	NIC     string        // NIC model: "e1000" (default) or "virtio-net-pci"
	MAC     string        // NIC MAC address, e.g. 52:54:00:12:34:56
	NoNet   bool          // no network device at all
	Forward []Forward     // guest TCP ports reachable on host loopback ports
	Serial  string        // file receiving the serial console (ttyS0)
	Timeout time.Duration // qemu is killed after this long; 0 = no limit
}

// DefaultAppend is the kernel command line used when Config.Append is empty.
// no_timer_check: under TCG on a busy host the kernel's check that the
// IO-APIC timer ticks can miss and panic ("IO-APIC + timer doesn't
// work!"); the emulated timer works, only the check's timing does not.
const DefaultAppend = "console=ttyS0 quiet panic=-1 no_timer_check rdinit=/init"

// VM is a running qemu.
type VM struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	// Ports holds the host port of each Forward, by guest port.
	Ports map[int]int
	once  sync.Once
	log   *lockedWriter
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Args returns qemu's command line for cfg (without the binary), with
// ports the host ports chosen for each Forward.
func (cfg Config) Args(ports map[int]int) []string {
	mem, cpus := cfg.Memory, cfg.CPUs
	if mem == 0 {
		mem = 512
	}
	if cpus == 0 {
		cpus = 1
	}
	appendLine := cfg.Append
	if appendLine == "" {
		appendLine = DefaultAppend
	}
	accel := "tcg"
	if cfg.KVM {
		accel = "kvm"
	}
	a := []string{
		"-machine", "pc,accel=" + accel,
		"-m", strconv.Itoa(mem),
		"-smp", strconv.Itoa(cpus),
		"-display", "none", "-vga", "none", "-monitor", "none", "-parallel", "none",
		"-no-reboot",
		"-kernel", cfg.Kernel,
		"-initrd", cfg.Initrd,
		"-append", appendLine,
		"-serial", "file:" + cfg.Serial,
	}
	if cfg.Floppy != "" {
		a = append(a, "-drive", "if=floppy,index=0,format=raw,file="+cfg.Floppy)
	}
	if cfg.Disk != "" {
		a = append(a, "-drive", "if=virtio,format=raw,file="+cfg.Disk)
	}
	if cfg.NoNet {
		a = append(a, "-nic", "none")
		return a
	}
	netdev := "user,id=n0"
	for _, f := range cfg.Forward {
		netdev += fmt.Sprintf(",hostfwd=tcp:127.0.0.1:%d-:%d", ports[f.Guest], f.Guest)
	}
	nic := cfg.NIC
	if nic == "" {
		nic = "e1000"
	}
	dev := nic + ",netdev=n0"
	if cfg.MAC != "" {
		dev += ",mac=" + cfg.MAC
	}
	return append(a, "-netdev", netdev, "-device", dev)
}

// Start boots the guest. The VM is killed when ctx ends or Timeout passes.
func Start(ctx context.Context, cfg Config) (*VM, error) {
	bin := cfg.QEMU
	if bin == "" {
		p, err := exec.LookPath("qemu-system-x86_64")
		if err != nil {
			return nil, fmt.Errorf("start vm: %w", err)
		}
		bin = p
	}
	if cfg.Serial == "" {
		return nil, errors.New("start vm: no serial log file")
	}
	ports := map[int]int{}
	for _, f := range cfg.Forward {
		p := f.Host
		if p == 0 {
			var err error
			if p, err = FreePort(); err != nil {
				return nil, fmt.Errorf("start vm: %w", err)
			}
		}
		ports[f.Guest] = p
	}
	cancel := context.CancelFunc(func() {})
	if cfg.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
	}
	cmd := exec.CommandContext(ctx, bin, cfg.Args(ports)...)
	out := &lockedWriter{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start vm: %w", err)
	}
	vm := &VM{cmd: cmd, done: make(chan struct{}), Ports: ports, log: out}
	go func() {
		vm.err = cmd.Wait()
		cancel()
		close(vm.done)
	}()
	return vm, nil
}

// lockedWriter collects qemu's stdout and stderr.
type lockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// Done is closed when qemu has exited.
func (vm *VM) Done() <-chan struct{} { return vm.done }

// Wait waits for qemu to exit and returns its error, with qemu's own
// output (its stderr) appended when it failed.
func (vm *VM) Wait() error {
	<-vm.done
	if vm.err != nil {
		return fmt.Errorf("qemu: %w: %s", vm.err, strings.TrimSpace(vm.log.String()))
	}
	return nil
}

// Stop kills qemu (the guest has nothing to save) and waits for it.
func (vm *VM) Stop() {
	vm.once.Do(func() {
		if vm.cmd.Process != nil {
			_ = vm.cmd.Process.Kill()
		}
	})
	<-vm.done
}

// Output returns what qemu printed on its stdout and stderr so far.
func (vm *VM) Output() string { return vm.log.String() }
