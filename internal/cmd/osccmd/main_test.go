package osccmd

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/internal/testbin"
)

const hash = "$6$saltsalt$Cz4wU2Wq0bXZbG7bJjI8hV3oYkq3Q6P4rK8TdY4vS0S8k0WcUu2x5mZ1hC3qF9Jk6uVQy0cM3e2n1B7oPp2r1."

func pubKey(t *testing.T) string {
	t.Helper()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	sp, _ := ssh.NewPublicKey(pub)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " root@builder"
}

// noSettings returns an empty settings file: the built-in defaults.
func noSettings(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "none.toml")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// binary returns the osc binary (internal/testbin).
func binary(t *testing.T) string { return testbin.Path(t, "osc") }

// setup makes a root with etc/shadow and etc/resolv.conf and a luoyun.conf
// carrying js.
func setup(t *testing.T, js map[string]any) (root, conf string) {
	t.Helper()
	root = t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	if err := os.WriteFile(filepath.Join(root, "etc/shadow"), []byte("root:*:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "etc/resolv.conf"), []byte("nameserver 1.1.1.1\n"), 0o644)
	b, err := json.Marshal(js)
	if err != nil {
		t.Fatal(err)
	}
	conf = filepath.Join(t.TempDir(), "luoyun.conf")
	text := "CLC_IP=10.0.2.2\nCLC_PORT=1369\nTAG=42\nKEY=2a8f5b0e-6a57-4f3e-9a0c-0d6f77b1e2c4\nJSON=" + string(b) + "\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return root, conf
}

func runBin(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.Run()
	return o.String(), e.String(), cmd.ProcessState.ExitCode()
}

// withoutIdentity drops the identity's lines (hostname, machine_id,
// host_keys; TestIdentity has them) from osc's output.
func withoutIdentity(out string) string {
	var keep []string
	for _, l := range strings.SplitAfter(out, "\n") {
		if !strings.HasPrefix(l, "hostname: ") && !strings.HasPrefix(l, "machine_id: ") && !strings.HasPrefix(l, "host_keys: ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

func TestBinary(t *testing.T) {
	bin := binary(t)
	settings := noSettings(t)
	key := pubKey(t)
	for _, tc := range []struct {
		name  string
		js    map[string]any
		extra []string
		want  string
		code  int
	}{
		{"apply", map[string]any{"passwd_hash": hash, "public_key": key, "nameservers": "8.8.8.8"}, nil,
			"passwd_hash: changed\npublic_key: changed\nnameservers: changed\nnetwork: skipped: --no-network\n", 0},
		{"injection", map[string]any{"passwd_hash": "$6$x\nevil::0:0:99999:7:::", "public_key": key, "nameservers": "8.8.8.8\noptions ndots:15"}, nil,
			"passwd_hash: error: rejected, not a crypt(3) hash: control character '\\n' at byte 4\npublic_key: changed\nnameservers: error: rejected: entry 2 \"options\" is not an IP address\nnetwork: skipped: --no-network\n", 1},
		{"free text key", map[string]any{"public_key": "# the owner's laptop\r\nfrom=\"10.0.0.0/8\",no-pty " + key + "\r\n\r\n"}, nil,
			"passwd_hash: skipped: not set\npublic_key: changed\nnameservers: skipped: not set\nnetwork: skipped: --no-network\n", 0},
		{"dry run", map[string]any{"nameservers": "8.8.8.8"}, []string{"--dry-run"},
			"passwd_hash: skipped: not set\npublic_key: skipped: not set\nnameservers: changed (dry run: would write ROOT/etc/resolv.conf (1 name servers))\nnetwork: skipped: --no-network\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, conf := setup(t, tc.js)
			args := append([]string{"-c", conf, "--root", root, "--no-network", "--settings", settings}, tc.extra...)
			out, errOut, code := runBin(t, bin, args...)
			want := strings.ReplaceAll(tc.want, "ROOT", root)
			if out = withoutIdentity(out); out != want || code != tc.code {
				t.Errorf("osc: exit %d, stdout\n%s\nwant exit %d, stdout\n%s\nstderr: %s", code, out, tc.code, want, errOut)
			}
			if tc.code != 0 && (strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "osc: ")) {
				t.Errorf("stderr = %q, want one line", errOut)
			}
			if tc.code == 0 && tc.extra == nil {
				out2, _, code2 := runBin(t, bin, args...)
				if code2 != 0 || strings.Contains(out2, ": changed") {
					t.Errorf("second run: exit %d\n%s", code2, out2)
				}
			}
		})
	}
	// What a compute node writes for an instance without config,
	// JSON=(null): one warning naming the line, nothing applied, exit 0.
	conf := filepath.Join(t.TempDir(), "null.conf")
	os.WriteFile(conf, []byte("TAG=7\nKEY=015e33a8-4b1e-4c1a\nJSON=(null)\n"), 0o600)
	out, errOut, code := runBin(t, bin, "-c", conf, "--root", t.TempDir(), "--settings", settings)
	// The identity is the TAG's, not the JSON's (TestIdentity).
	if code != 0 || strings.Contains(out, ": changed") || strings.Count(withoutIdentity(out), "skipped") != 4 {
		t.Errorf("JSON=(null): exit %d, stdout %q, want every step skipped", code, out)
	}
	if want := "osc: warning: " + conf + " line 3: JSON: not valid JSON at character 1; nothing from it is applied\n"; errOut != want {
		t.Errorf("JSON=(null): stderr %q, want %q", errOut, want)
	}
}

// TestNetns runs the built osc inside a fresh network namespace with
// `ip netns exec`: links named ens3/ens4 carry the JSON's MACs, eth0 is
// a decoy with another default route.
func TestNetns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("network namespace test needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skipf("ip (iproute2) not installed: %v", err)
	}
	bin := binary(t)
	ns := fmt.Sprintf("floppy-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	ipn := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("ip -n %s %s: %v: %s", ns, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	addLink := func(name, mac string) {
		if _, err := exec.Command("ip", "-n", ns, "link", "add", name, "address", mac, "type", "dummy").CombinedOutput(); err == nil {
			return
		}
		ipn("link", "add", name, "address", mac, "type", "veth", "peer", "name", "p"+name)
		ipn("link", "set", "p"+name, "up")
	}
	addLink("eth0", "02:00:00:00:00:99")
	addLink("ens3", "52:54:00:12:34:56")
	addLink("ens4", "52:54:00:12:34:57")
	ipn("addr", "add", "10.9.0.5/24", "dev", "eth0")
	ipn("link", "set", "eth0", "up")
	ipn("route", "add", "default", "via", "10.9.0.1")
	// ens3 came up by DHCP: a lease address beside the one the cloud gives.
	ipn("addr", "add", "192.168.1.77/24", "dev", "ens3")
	ipn("link", "set", "ens3", "up")
	// and its DHCP client (busybox's udhcpc) still runs.
	var dhcp *exec.Cmd
	if bb, err := exec.LookPath("busybox"); err == nil {
		udhcpc := filepath.Join(t.TempDir(), "udhcpc")
		os.Symlink(bb, udhcpc)
		dhcp = exec.Command("ip", "netns", "exec", ns, udhcpc, "-f", "-q", "-t", "1000", "-s", "/bin/true", "-i", "ens3")
		if err := dhcp.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { dhcp.Wait(); close(exited) }()
		t.Cleanup(func() { dhcp.Process.Kill(); <-exited })
		poll.Until(t, poll.Timeout, "udhcpc's start", func() bool {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", dhcp.Process.Pid))
			return strings.HasPrefix(string(b), udhcpc)
		})
	} else {
		t.Log("busybox not installed: no DHCP client in this test")
	}

	root, conf := setup(t, map[string]any{"network": []map[string]string{
		{"ip": "10.0.2.15", "mac": "52:54:00:12:34:56", "type": "default", "netmask": "255.255.255.0", "gateway": "10.0.2.2", "nameservers": "10.0.2.3"},
		{"ip": "192.168.7.5", "mac": "52:54:00:12:34:57", "type": "default", "netmask": "255.255.255.0", "gateway": "192.168.7.1"},
	}})
	settings := noSettings(t)
	args := []string{"netns", "exec", ns, bin, "-c", conf, "--root", root, "--settings", settings}
	out, errOut, code := runBin(t, "ip", args...)
	if code != 0 || !strings.Contains(out, "remove 192.168.1.77/24 from ens3, add 10.0.2.15/24 to ens3") || !strings.Contains(out, "ens3 by mac") || !strings.Contains(out, "ens4 by mac") {
		t.Fatalf("osc in netns: exit %d\n%s%s", code, out, errOut)
	}
	// (udhcpc forks to run its script: such a child may be stopped too.)
	if dhcp != nil && !strings.Contains(out, fmt.Sprintf("nic0: changed (stop udhcpc (pid %d), ", dhcp.Process.Pid)) {
		t.Errorf("ens3's DHCP client not stopped:\n%s", out)
	}
	type addrInfo struct {
		IfName   string `json:"ifname"`
		Flags    []string
		AddrInfo []struct {
			Local     string `json:"local"`
			Prefixlen int    `json:"prefixlen"`
		} `json:"addr_info"`
	}
	var addrs []addrInfo
	if err := json.Unmarshal([]byte(ipn("-j", "addr", "show")), &addrs); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ens3": "10.0.2.15/24", "ens4": "192.168.7.5/24"}
	for _, a := range addrs {
		w, ok := want[a.IfName]
		if !ok {
			continue
		}
		found := false
		for _, ai := range a.AddrInfo {
			switch got := fmt.Sprintf("%s/%d", ai.Local, ai.Prefixlen); {
			case got == w:
				found = true
			case !strings.Contains(got, ":"):
				t.Errorf("%s keeps %s beside %s", a.IfName, got, w)
			}
		}
		up := strings.Contains(strings.Join(a.Flags, ","), "UP")
		if !found || !up {
			t.Errorf("%s: %+v, want up with %s", a.IfName, a, w)
		}
		delete(want, a.IfName)
	}
	if len(want) != 0 {
		t.Errorf("links missing: %v", want)
	}
	routes := strings.TrimSpace(ipn("route", "show", "default"))
	if !strings.HasPrefix(routes, "default via 10.0.2.2 dev ens3") || strings.Contains(routes, "\n") {
		t.Errorf("default routes:\n%s\nwant only via 10.0.2.2 dev ens3", routes)
	}
	out, _, code = runBin(t, "ip", args...)
	if code != 0 || strings.Contains(out, ": changed") {
		t.Errorf("second run in netns: exit %d\n%s", code, out)
	}
}

// TestRootConfined: ROOT/etc is an absolute link to a host directory and
// ROOT/root climbs out with ../outside/home. osc --root ROOT resolves both
// inside ROOT, as a chroot would: it writes the in-tree files and never
// the outside ones.
func TestRootConfined(t *testing.T) {
	bin := binary(t)
	settings := noSettings(t)
	_, conf := setup(t, map[string]any{"passwd_hash": hash, "public_key": pubKey(t), "nameservers": "8.8.8.8"})
	top := t.TempDir()
	outside := filepath.Join(top, "outside")
	hostShadow := "root:*:1:0:99999:7:::\n"
	os.MkdirAll(filepath.Join(outside, "etc"), 0o755)
	os.MkdirAll(filepath.Join(outside, "home"), 0o755)
	os.WriteFile(filepath.Join(outside, "etc/shadow"), []byte(hostShadow), 0o640)
	os.WriteFile(filepath.Join(outside, "etc/resolv.conf"), []byte("nameserver 192.0.2.1\n"), 0o644)
	root := filepath.Join(top, "img")
	os.MkdirAll(root, 0o755)
	if err := os.Symlink(filepath.Join(outside, "etc"), filepath.Join(root, "etc")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../outside/home", filepath.Join(root, "root")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, outside)
	args := []string{"-c", conf, "--root", root, "--no-network", "--settings", settings}

	// etc leads nowhere inside the tree yet: those steps fail; root's home
	// is made inside the tree, as mkdir -p in a chroot would.
	out, errOut, code := runBin(t, bin, args...)
	if code != 1 || !strings.Contains(out, "passwd_hash: error:") || !strings.Contains(out, "nameservers: error:") || !strings.Contains(out, "public_key: changed") {
		t.Errorf("links to missing in-tree dirs: exit %d\n%s%s", code, out, errOut)
	}
	if after := snapshot(t, outside); after != before {
		t.Fatalf("outside the root changed:\n%s\nwas\n%s", after, before)
	}

	// The same paths inside the tree: written there.
	in := filepath.Join(root, outside)
	os.MkdirAll(filepath.Join(in, "etc"), 0o755)
	os.WriteFile(filepath.Join(in, "etc/shadow"), []byte("root:*:19000:0:99999:7:::\n"), 0o640)
	out, errOut, code = runBin(t, bin, args...)
	if code != 0 || strings.Count(out, ": changed") != 2 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if after := snapshot(t, outside); after != before {
		t.Errorf("outside the root changed:\n%s\nwas\n%s", after, before)
	}
	if b, _ := os.ReadFile(filepath.Join(in, "etc/shadow")); !strings.Contains(string(b), hash) {
		t.Errorf("in-tree shadow = %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(in, "etc/resolv.conf")); string(b) != "nameserver 8.8.8.8\n" {
		t.Errorf("in-tree resolv.conf = %q", b)
	}
	if _, err := os.Stat(filepath.Join(root, "outside/home/.ssh/authorized_keys")); err != nil {
		t.Errorf("in-tree authorized_keys: %v", err)
	}
}

// snapshot lists every path under dir with its content.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		data, _ := os.ReadFile(p)
		fmt.Fprintf(&b, "%s %q\n", p, data)
		return nil
	})
	return b.String()
}

// TestResolvConfLinks: for each shape of etc/resolv.conf, osc --root
// writes the file the image's resolver reads, twice (the second run
// changes nothing).
func TestResolvConfLinks(t *testing.T) {
	bin := binary(t)
	settings := noSettings(t)
	for _, tc := range []struct {
		name, link, file, want, line string
	}{
		{"systemd-resolved stub", "../run/systemd/resolve/stub-resolv.conf", "etc/systemd/resolved.conf.d/luoyun.conf",
			"# Written by the LuoYun OS manager (osc) from the cloud's nameservers.\n[Resolve]\nDNS=8.8.8.8 114.114.114.114\n",
			"nameservers: changed (resolv.conf links to ../run/systemd/resolve/stub-resolv.conf: DNS= in the systemd-resolved drop-in etc/systemd/resolved.conf.d/luoyun.conf; read when systemd-resolved starts)"},
		{"resolvconf", "/run/resolvconf/resolv.conf", "etc/resolvconf/resolv.conf.d/head",
			"nameserver 8.8.8.8\nnameserver 114.114.114.114\n",
			"nameservers: changed (resolv.conf links to /run/resolvconf/resolv.conf: nameserver lines in resolvconf's etc/resolvconf/resolv.conf.d/head; read when resolvconf starts)"},
		{"other link", "/etc/resolv.conf.static", "etc/resolv.conf",
			"nameserver 8.8.8.8\nnameserver 114.114.114.114\n",
			"nameservers: changed (resolv.conf linked to /etc/resolv.conf.static: replaced by a file)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, conf := setup(t, map[string]any{"nameservers": "8.8.8.8 114.114.114.114"})
			os.Remove(filepath.Join(root, "etc/resolv.conf"))
			os.WriteFile(filepath.Join(root, "etc/resolv.conf.static"), []byte("nameserver 10.0.0.1\n"), 0o644)
			if err := os.Symlink(tc.link, filepath.Join(root, "etc/resolv.conf")); err != nil {
				t.Fatal(err)
			}
			args := []string{"-c", conf, "--root", root, "--no-network", "--settings", settings}
			out, errOut, code := runBin(t, bin, args...)
			if code != 0 || !strings.Contains(out, tc.line+"\n") {
				t.Errorf("exit %d\n%s%s\nwant the line %s", code, out, errOut, tc.line)
			}
			if b, err := os.ReadFile(filepath.Join(root, tc.file)); err != nil || string(b) != tc.want {
				t.Errorf("%s = %q, %v; want %q", tc.file, b, err, tc.want)
			}
			if b, _ := os.ReadFile(filepath.Join(root, "etc/resolv.conf.static")); string(b) != "nameserver 10.0.0.1\n" {
				t.Errorf("the link's target was written: %q", b)
			}
			out, _, code = runBin(t, bin, args...)
			if code != 0 || !strings.Contains(out, "nameservers: unchanged\n") {
				t.Errorf("second run: exit %d\n%s", code, out)
			}
		})
	}
}

// TestStaleTempRemovedWhenUnchanged: a temp file a killed osc left beside
// etc/shadow goes at the next run even when that run has nothing to
// change.
func TestStaleTempRemovedWhenUnchanged(t *testing.T) {
	bin := binary(t)
	settings := noSettings(t)
	root, conf := setup(t, map[string]any{"passwd_hash": hash, "public_key": pubKey(t), "nameservers": "8.8.8.8"})
	args := []string{"-c", conf, "--root", root, "--no-network", "--settings", settings}
	if out, errOut, code := runBin(t, bin, args...); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	// Just written: the killed writer's lock is gone, that is all it takes.
	stale := []string{"etc/.shadow.tmp-1234567", "etc/.resolv.conf.tmp-42", "root/.ssh/.authorized_keys.tmp-99"}
	for _, p := range stale {
		p = filepath.Join(root, p)
		os.WriteFile(p, []byte("partial"), 0o600)
	}
	out, errOut, code := runBin(t, bin, args...)
	if code != 0 || strings.Contains(out, ": changed") {
		t.Fatalf("second run: exit %d\n%s%s", code, out, errOut)
	}
	for _, p := range stale {
		if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
			t.Errorf("%s is still there", p)
		}
	}
}
