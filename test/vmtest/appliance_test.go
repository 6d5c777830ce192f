package vmtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/luoyun/osmanager/internal/browsertest"
	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/internal/testbin"
	"github.com/luoyun/osmanager/internal/vmboot"
)

// bootTimeout bounds one boot, from qemu's start to the last assertion.
const bootTimeout = 4 * time.Minute

const guestMAC = "52:54:00:12:34:56"

// Root's password hashes on the two floppies (busybox mkpasswd -m sha512):
// of "luoyun" and of "luoyun2".
const (
	hash1 = `$6$vmtestsalt$WfMV95F1QNrV1r1K5oyg1Rt/MG4NwsOsL.CC5i5ppoxsuo.OuhP/JCS/oOBMQuiwEJwo4djCDPU.BrEm8tozq0`
	hash2 = `$6$vmtestsalt2$lQY43j8fpXuGbVa1Cxonmyaleb3Qn4mDtRFSJhmEwh1NcqgWYrnNhE6JTaaT58N4WdiELUHOdJQ713vevZeX.0`
)

// requireHost skips the test unless qemu, a kernel, a static busybox and
// e2fsprogs are installed (.ci/run installs them), and the tree has every
// component.
func requireHost(t *testing.T, repo string) vmboot.Host {
	t.Helper()
	if os.Getenv("LUOYUN_VMTEST") == "0" {
		t.Skip("skipping VM test: LUOYUN_VMTEST=0")
	}
	if testing.Short() {
		t.Skip("skipping VM test in -short mode")
	}
	host, err := vmboot.FindHost()
	if err != nil {
		t.Skipf("skipping VM test: %v", err)
	}
	for _, tool := range []string{"mkfs.ext2", "debugfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping VM test: no %s (apt-get install e2fsprogs)", tool)
		}
	}
	for _, c := range testbin.Components {
		if _, err := os.Stat(filepath.Join(repo, "cmd", c, "main.go")); err != nil {
			t.Skipf("skipping VM test: component %s is not in this tree", c)
		}
	}
	if _, err := os.Stat(filepath.Join(repo, "osmanager.sh")); err != nil {
		t.Skip("skipping VM test: osmanager.sh is not in this tree")
	}
	return host
}

// artifacts returns where serial logs and screenshots go:
// $LUOYUN_VMTEST_ARTIFACTS when set, else a temporary directory.
func artifacts(t *testing.T) string {
	if d := os.Getenv("LUOYUN_VMTEST_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestAppliance boots the appliance three times. Boot 1: a fresh disk and
// the floppy of instance 1001. Boot 2: the same disk and a new floppy (new
// TAG and KEY): luoyun.conf is updated and the instance registers anew.
// Boot 3: the same floppy again: nothing is rewritten.
func TestAppliance(t *testing.T) {
	repo, err := testbin.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	host := requireHost(t, repo)
	start := time.Now()
	tmp := t.TempDir()
	out := artifacts(t)

	bins, err := testbin.Dir(repo, filepath.Join(tmp, "bin"), testbin.Components...)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range testbin.Components {
		if !vmboot.IsStatic(filepath.Join(bins, c)) {
			t.Fatalf("%s/%s is dynamically linked; the guest has no libc (build with CGO_ENABLED=0)", bins, c)
		}
	}
	tree := filepath.Join(tmp, "tree")
	if err := StageTree(repo, bins, tree); err != nil {
		t.Fatal(err)
	}
	disk := filepath.Join(tmp, "disk.img")
	if err := MakeDisk(disk, "", 160); err != nil {
		t.Fatal(err)
	}
	imageID, err := ImageIdentity()
	if err != nil {
		t.Fatal(err)
	}
	ir, err := NewInitramfs(host, tree, imageID...)
	if err != nil {
		t.Fatal(err)
	}
	initrd := filepath.Join(tmp, "initrd.cpio")
	if err := ir.WriteFile(initrd); err != nil {
		t.Fatal(err)
	}
	kernel, err := vmboot.BootImage(host.Kernel, tmp)
	if err != nil {
		t.Logf("booting the compressed kernel: %v", err)
	}
	accel, err := host.SelectAccel(context.Background(), kernel, tmp)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("accelerator: %s", accel)
	t.Logf("prepared in %v (kernel %s, image %s, kvm=%v)", time.Since(start).Round(time.Millisecond), host.Kernel.Version, kernel, host.KVM)

	e := bootEnv{host: host, kernel: kernel, bins: bins, initrd: initrd, disk: disk, out: out}
	boots := []bootSpec{
		{"boot1", instance(1001, "0b9a3f0e-6a4b-4c1e-9d51-2f0c7d1e4a01", "vm-1001.luoyun.test",
			hash1),
			"luoyun", "none", []string{
				`VMTEST: installing the appliance onto /dev/vda\r?\n`,
				`\[INFO\] floppy: updated\r?\n`,
				`VMTEST: install.sh: install success: sysv`,
				`\[INFO\] osc: passwd_hash: changed\r?\n`,
				`\[INFO\] osc: nameservers: changed\r?\n`,
			}, false, true},
		{"boot2", instance(1002, "7c2d51aa-93e8-4f07-b0c4-55d1e8a6f302", "vm-1002.luoyun.test",
			hash2),
			"luoyun2", "TAG=1001", []string{
				`VMTEST: the appliance is installed on /dev/vda since `,
				`\[INFO\] floppy: updated\r?\n`,
				// /etc persists on the disk: same nameserver, nothing rewritten.
				`\[INFO\] osc: nameservers: unchanged\r?\n`,
				`\[INFO\] osc: passwd_hash: changed\r?\n`,
				`\[INFO\] osc: public_key: changed\r?\n`,
			}, false, true},
		// Boot 3: the same floppy again; nothing to copy, nothing to change
		// but the network (kernel state, gone with the reboot).
		{"boot3", instance(1002, "7c2d51aa-93e8-4f07-b0c4-55d1e8a6f302", "vm-1002.luoyun.test",
			hash2),
			"luoyun2", "TAG=1002", []string{
				`\[INFO\] floppy: unchanged\r?\n`,
				`\[INFO\] osc: passwd_hash: unchanged\r?\n`,
				`\[INFO\] osc: public_key: unchanged\r?\n`,
				`\[INFO\] osc: nameservers: unchanged\r?\n`,
			}, true, false},
	}
	clcPort := 0
	// Each instance its own identity: the image's before boot 1.
	prev := guestIdentity{MachineID: imageMachineID, Keys: keyDigests(imageID)}
	for _, b := range boots {
		if b.same {
			// The controller's address is on the floppy too.
			b.inst.CLCPort = clcPort
		}
		var id guestIdentity
		ok := t.Run(b.name, func(t *testing.T) {
			clcPort, id = e.boot(t, b)
		})
		if !ok {
			t.Fatalf("%s failed; not booting again", b.name)
		}
		checkIdentity(t, b, prev, id)
		prev = id
		conf, err := DiskFile(disk, "/LuoYun/conf/luoyun.conf")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(conf, fmt.Sprintf("\nTAG=%d\n", b.inst.Tag)) || !strings.Contains(conf, "\nKEY="+b.inst.Key+"\n") {
			t.Errorf("after %s, luoyun.conf on the disk lacks TAG=%d and its KEY", b.name, b.inst.Tag)
		}
		if mode, err := DiskMode(disk, "/LuoYun/conf/luoyun.conf"); err != nil || mode != 0o600 {
			t.Errorf("after %s, luoyun.conf on the disk has mode %o (%v), want 600", b.name, mode, err)
		}
	}
	t.Logf("%d boots in %v", len(boots), time.Since(start).Round(time.Millisecond))
}

func instance(tag int, key, domain, hash string) Instance {
	return Instance{
		CLCIP: "10.0.2.2", Tag: tag, Key: key,
		Cookie: fmt.Sprintf("cookie-%d", tag), Domain: domain,
		IP: "10.0.2.15", MAC: guestMAC, Gateway: "10.0.2.2",
		// Nothing in the guest resolves names; a loopback resolver keeps
		// any stray lookup inside the guest.
		Nameserver: "127.0.0.1",
		PasswdHash: hash,
		PublicKey:  fmt.Sprintf("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f vmtest-%d", tag),
		WebSSHPort: 8001,
	}
}

// bootEnv is what every boot shares.
type bootEnv struct {
	host                            vmboot.Host
	kernel, bins, initrd, disk, out string // out: serial logs, screenshots
}

// bootSpec is one boot of TestAppliance.
type bootSpec struct {
	name     string
	inst     Instance
	password string   // what passwd_hash is the hash of
	confWas  string   // TAG line of luoyun.conf before the boot
	console  []string // more regular expressions the console must match
	same     bool     // the same floppy as the boot before (same controller port)
	browser  bool     // log in through the web shell in Chromium
}

// boot starts the simulator, writes the floppy, boots the VM and checks
// everything from the host. It returns the simulator's port.
func (e bootEnv) boot(t *testing.T, b bootSpec) (clcPort int, id guestIdentity) {
	host, kernel, bins, initrd, disk, out := e.host, e.kernel, e.bins, e.initrd, e.disk, e.out
	name, inst := b.name, b.inst
	ctx, cancel := context.WithTimeout(context.Background(), bootTimeout)
	defer cancel()
	sim, err := StartSimulator(ctx, bins, inst.CLCPort, inst.Tag, inst.Key)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Stop()
	inst.CLCPort = sim.Port
	clcPort = sim.Port
	floppy := filepath.Join(t.TempDir(), "floppy.img")
	if err := MakeFloppy(bins, floppy, inst); err != nil {
		t.Fatal(err)
	}
	serial := filepath.Join(out, name+"-serial.log")
	_ = os.Remove(serial)
	start := time.Now()
	vm, err := vmboot.Start(ctx, vmboot.Config{
		QEMU: host.QEMU, Kernel: kernel, Initrd: initrd, KVM: host.KVM,
		Memory: 512, CPUs: 1,
		Floppy: floppy, Disk: disk, MAC: guestMAC,
		Forward: []vmboot.Forward{{Guest: 8080}, {Guest: inst.WebSSHPort}},
		Serial:  serial, Timeout: bootTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		vm.Stop()
		if t.Failed() {
			data, _ := os.ReadFile(serial)
			t.Logf("serial console (%s):\n%s\nqemu: %s\nsimulator:\n%s", serial, data, vm.Output(), strings.Join(sim.Lines(), "\n"))
			logGuestLogs(t, disk)
		}
	}()

	m, err := vmboot.WaitSerial(ctx, vm, serial, regexp.MustCompile(`VMTEST: booted uptime=(\S+)`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: init done after %v (guest uptime %ss)", name, time.Since(start).Round(time.Millisecond), m[1])
	log, _ := os.ReadFile(serial)
	checkSerial(t, string(log), inst, b.confWas, b.console)
	if id, err = parseIdentity(string(log)); err != nil {
		t.Error(err)
	}

	tag := fmt.Sprint(inst.Tag)
	for _, re := range []string{
		`^auth ok tag=` + tag + ` `,
		`^registered tag=` + tag + ` ip=10\.0\.2\.15 `,
		`^report tag=` + tag + ` status=2000$`,
	} {
		line, err := sim.Wait(ctx, regexp.MustCompile(re))
		if err != nil {
			t.Error(err)
			continue
		}
		t.Logf("%s: simulator: %s (%v after qemu started)", name, line, time.Since(start).Round(time.Millisecond))
	}

	page := fmt.Sprintf("http://127.0.0.1:%d/", vm.Ports[8080])
	if _, err := pollPage(ctx, page, inst.Domain); err != nil {
		t.Errorf("page on forwarded 8080: %v", err)
	} else {
		t.Logf("%s: %s shows %q", name, page, inst.Domain)
	}
	// With the floppy's cookie, the page shows the registrar's state.
	withCookie := page + "?cookie=" + inst.Cookie
	if _, err := pollPage(ctx, withCookie, `id="osm">registered`); err != nil {
		t.Errorf("page with the cookie: %v", err)
	} else {
		t.Logf("%s: %s shows the registrar registered", name, withCookie)
	}

	if b.browser {
		t.Run("webshell", func(t *testing.T) {
			checkWebShell(t, fmt.Sprintf("http://127.0.0.1:%d/", vm.Ports[inst.WebSSHPort]), out, name, b.password)
		})
	}
	t.Logf("%s: done after %v", name, time.Since(start).Round(time.Millisecond))
	return clcPort, id
}

// logGuestLogs prints the OS manager's log files from the appliance disk.
func logGuestLogs(t *testing.T, disk string) {
	names, err := DiskList(disk, "/LuoYun/log")
	if err != nil {
		t.Logf("guest logs: %v", err)
		return
	}
	for _, n := range names {
		data, err := DiskFile(disk, "/LuoYun/log/"+n)
		if err != nil {
			t.Logf("guest log %s: %v", n, err)
			continue
		}
		if len(data) > 8000 {
			data = "...\n" + data[len(data)-8000:]
		}
		t.Logf("guest /LuoYun/log/%s:\n%s", n, data)
	}
}

// checkSerial asserts what the console shows: the floppy read through the
// kernel's floppy driver, luoyun.conf replaced, osc's changes, the NIC.
func checkSerial(t *testing.T, log string, inst Instance, confWas string, more []string) {
	t.Helper()
	wants := []struct{ what, re string }{
		{"luoyun.conf before the boot", `VMTEST: luoyun.conf before boot: ` + regexp.QuoteMeta(confWas) + `\r?\n`},
		{"osc changed the network", `\[INFO\] osc: nic0: changed \(`},
		{"luoyun.conf after the boot", fmt.Sprintf(`VMTEST: luoyun.conf after boot: TAG=%d mode=600\r?\n`, inst.Tag)},
		{"floppy driver loaded, fd0 read", `VMTEST: floppy driver: 1 fd0 stat: +[1-9]\d* `},
		{"eth0 configured by osc", `VMTEST: eth0: 10\.0\.2\.15/24 ` + guestMAC + ` route: default via 10\.0\.2\.2 `},
		{"osmanager.sh succeeded", `VMTEST: rc2: /etc/rc2.d/S99luoyun-osmanager exit=0\r?\n`},
		{"the appliance running from the disk", `VMTEST: appliance init started uptime=\S+ root=/dev/vda\r?\n`},
	}
	for _, re := range more {
		wants = append(wants, struct{ what, re string }{"this boot's line", re})
	}
	for _, w := range wants {
		if !regexp.MustCompile(w.re).MatchString(log) {
			t.Errorf("serial console: no %s (/%s/)", w.what, w.re)
		}
	}
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "osc: ") || strings.Contains(l, "floppy: ") {
			t.Logf("console: %s", strings.TrimSpace(l))
		}
	}
}

// pollPage fetches url until its body contains want or ctx ends.
func pollPage(ctx context.Context, url, want string) (string, error) {
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = fmt.Sprintf("HTTP %d: %.200q", resp.StatusCode, b)
			if resp.StatusCode == http.StatusOK && strings.Contains(string(b), want) {
				return string(b), nil
			}
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("GET %s: no %q (last: %s)", url, want, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// checkWebShell opens the web terminal in headless Chromium, waits for
// busybox login's prompt in the terminal's rows, then logs in as root with
// the password whose hash the floppy gave (osc wrote it into /etc/shadow)
// and runs a command.
func checkWebShell(t *testing.T, url, out, name, password string) {
	ctx := browsertest.New(t, 3*time.Minute)
	if err := chromedp.Run(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	text, err := waitTerminal(ctx, "login:")
	browsertest.Screenshot(t, ctx, out, name+"-webshell.png")
	if err != nil {
		t.Fatalf("web shell at %s: %v", url, err)
	}
	t.Logf("web shell: %q", strings.TrimSpace(text))

	steps := []struct{ keys, want string }{
		{"root\r", "Password:"},
		{password + "\r", "#"},
		{"echo vmtest-$((6*7)) $(id -un)\r", "vmtest-42 root"},
	}
	for _, s := range steps {
		if err := chromedp.Run(ctx, chromedp.Focus(".xterm-helper-textarea", chromedp.ByQuery), typeKeys(s.keys)); err != nil {
			t.Fatalf("type into the terminal: %v", err)
		}
		if text, err = waitTerminal(ctx, s.want); err != nil {
			browsertest.Screenshot(t, ctx, out, name+"-webshell-login.png")
			t.Fatalf("web shell after typing %q: %v", strings.TrimSpace(s.keys), err)
		}
	}
	browsertest.Screenshot(t, ctx, out, name+"-webshell-login.png")
	t.Logf("web shell after login: %q", strings.TrimSpace(text))
}

// typeKeys types s as a keyboard does: one keyDown carrying the text per
// character (the browser derives keypress and input from it), then keyUp.
// chromedp.SendKeys adds a separate "char" event, which xterm.js takes for
// a second key press (every letter arrives twice).
func typeKeys(s string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for _, r := range s {
			down := input.DispatchKeyEvent(input.KeyDown).WithText(string(r)).WithKey(string(r))
			up := input.DispatchKeyEvent(input.KeyUp).WithKey(string(r))
			if r == '\r' {
				down = input.DispatchKeyEvent(input.KeyDown).WithText("\r").WithKey("Enter").
					WithCode("Enter").WithWindowsVirtualKeyCode(13).WithNativeVirtualKeyCode(13)
				up = input.DispatchKeyEvent(input.KeyUp).WithKey("Enter").WithCode("Enter").
					WithWindowsVirtualKeyCode(13).WithNativeVirtualKeyCode(13)
			}
			if err := down.Do(ctx); err != nil {
				return err
			}
			if err := up.Do(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// waitTerminal polls the terminal's text until it contains want.
func waitTerminal(ctx context.Context, want string) (string, error) {
	var text string
	var err error
	if poll.Wait(90*time.Second, func() bool {
		err = chromedp.Run(ctx, chromedp.Evaluate(
			`(document.querySelector(".xterm-rows")||{}).textContent||""`, &text))
		return err != nil || strings.Contains(text, want)
	}) {
		if err != nil {
			return "", fmt.Errorf("read terminal: %w", err)
		}
		return text, nil
	}
	return text, fmt.Errorf("terminal shows %q, want %q", text, want)
}
