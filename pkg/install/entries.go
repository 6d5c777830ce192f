package install

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"

	"github.com/luoyun/osmanager/pkg/origjobs"
)

// Init systems.
const (
	Auto    = "auto"
	SysV    = "sysv"
	Upstart = "upstart"
	Systemd = "systemd"
)

// Entry is one boot entry: a file made from a template of the tree, or a
// symbolic link.
type Entry struct {
	// Link reports whether the entry is a symbolic link (else a file).
	Link bool
	// Path is where it goes, absolute in the target.
	Path string
	// Arg is the link's target, or the file's template in the target.
	Arg string
}

func (e Entry) kind() string {
	if e.Link {
		return "l"
	}
	return "f"
}

var units = []string{"osconfig", "customconfig", "web", "webssh", "osm"}

// Entries lists what install makes for kind and the tree at dir.
func Entries(kind, dir string) []Entry {
	var out []Entry
	switch kind {
	case SysV:
		for _, n := range []string{"2", "3", "4", "5"} {
			out = append(out, Entry{true, rcLink(n), dir + "/osmanager.sh"})
		}
		out = append(out, Entry{true, "/etc/init.d/luoyun-osmanager", dir + "/osmanager.sh"})
	case Upstart:
		for _, j := range origjobs.Names {
			out = append(out, Entry{false, "/etc/init/luoyun/" + j + ".conf", dir + "/init/luoyun/" + j + ".conf"})
		}
	case Systemd:
		for _, u := range units {
			out = append(out, Entry{false, "/etc/systemd/system/luoyun-" + u + ".service", dir + "/init/systemd/luoyun-" + u + ".service"})
		}
		for _, u := range units {
			out = append(out, Entry{true, "/etc/systemd/system/multi-user.target.wants/luoyun-" + u + ".service", "/etc/systemd/system/luoyun-" + u + ".service"})
		}
	}
	return out
}

func rcLink(n string) string { return "/etc/rc" + n + ".d/S99luoyun-osmanager" }

// render makes a file entry's content from its template: /LuoYun becomes
// the tree's place.
func render(template []byte, dir string) []byte {
	return []byte(strings.ReplaceAll(string(template), "/LuoYun", dir))
}

// treeChars reports whether dir, the tree's path, is absolute and made of
// characters an init file can carry: ASCII letters and digits, and
// "/._+-". (No regular expression: see origjobs.isInterpreter.)
func treeChars(dir string) bool {
	if !strings.HasPrefix(dir, "/") {
		return false
	}
	for _, c := range []byte(dir) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("/._+-", c) >= 0) {
			return false
		}
	}
	return true
}

// manifest is what install.manifest lists.
type manifest struct {
	kind, dir string
	dirs      []string
	entries   []Entry // a file's Arg is empty
}

const manifestHead = "# Written by install.sh; uninstall.sh removes exactly these entries."

func (m manifest) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n# init %s\n# tree %s\n", manifestHead, m.kind, m.dir)
	for _, d := range m.dirs {
		fmt.Fprintf(&b, "d %s\n", d)
	}
	for _, e := range m.entries {
		if e.Link {
			fmt.Fprintf(&b, "l %s %s\n", e.Path, e.Arg)
		} else {
			fmt.Fprintf(&b, "f %s\n", e.Path)
		}
	}
	return b.String()
}

// parseManifest reads install.manifest; lines it does not know are skipped.
func parseManifest(data []byte) manifest {
	var m manifest
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "# init "); ok {
			m.kind = v
			continue
		}
		if v, ok := strings.CutPrefix(line, "# tree "); ok {
			m.dir = v
			continue
		}
		f := strings.SplitN(line, " ", 3)
		switch {
		case len(f) >= 2 && f[0] == "d" && strings.HasPrefix(f[1], "/"):
			m.dirs = append(m.dirs, path.Clean(f[1]))
		case len(f) >= 2 && f[0] == "f" && strings.HasPrefix(f[1], "/"):
			m.entries = append(m.entries, Entry{false, path.Clean(f[1]), ""})
		case len(f) == 3 && f[0] == "l" && strings.HasPrefix(f[1], "/"):
			m.entries = append(m.entries, Entry{true, path.Clean(f[1]), f[2]})
		}
	}
	return m
}

// has reports whether m lists the entry p of that type.
func (m manifest) has(link bool, p string) bool {
	return slices.ContainsFunc(m.entries, func(e Entry) bool { return e.Link == link && e.Path == p })
}

// detect picks the init system of the target: the running one when the
// target is this system, else by what the target's /sbin holds.
func detect(t target, live bool) string {
	if live {
		if st, err := os.Stat("/run/systemd/system"); err == nil && st.IsDir() {
			return Systemd
		}
		if out, err := output("/sbin/initctl", "version"); err == nil && strings.Contains(out, "upstart") {
			return Upstart
		}
	}
	if l := t.readlink("/sbin/init"); l != "" {
		switch {
		case strings.Contains(l, "systemd"):
			return Systemd
		case strings.Contains(l, "upstart"):
			return Upstart
		}
	}
	if _, ok := t.dir("/etc/init"); ok && t.executable("/sbin/initctl") {
		return Upstart
	}
	if !t.exists("/sbin/init") && (t.executable("/lib/systemd/systemd") || t.executable("/usr/lib/systemd/systemd")) {
		return Systemd
	}
	return SysV
}

// reload tells the running init system that its files changed.
func reload(kind string) {
	switch kind {
	case Systemd:
		if st, err := os.Stat("/run/systemd/system"); err == nil && st.IsDir() {
			_ = run("systemctl", "daemon-reload")
		}
	case Upstart:
		if _, err := exec.LookPath("initctl"); err == nil {
			_ = run("initctl", "reload-configuration")
		}
	}
}

// run and output start a program with this process's standard files, so
// that nothing needs /dev/null (a chroot may have no /dev).
func run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Run()
}

func output(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdin = os.Stdin
	out, err := cmd.CombinedOutput()
	return string(out), err
}
