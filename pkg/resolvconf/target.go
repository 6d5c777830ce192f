package resolvconf

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"path"
	"strings"

	"github.com/luoyun/osmanager/pkg/atomicfile"
)

// Target says where the name servers are written.
type Target int

const (
	// File: etc/resolv.conf is a regular file (or missing) and is
	// replaced as a whole, as the original did.
	File Target = iota
	// Resolved: etc/resolv.conf links to systemd-resolved's file; the
	// servers go to a resolved.conf drop-in, read when resolved starts.
	Resolved
	// Resolvconf: etc/resolv.conf links to the file resolvconf(8)
	// generates; the servers go to its head file, which resolvconf puts
	// first in every file it generates.
	Resolvconf
	// Link: etc/resolv.conf links anywhere else; the link is replaced by
	// a file, as the original's rename did.
	Link
)

// Files osc writes for the resolver services, relative to the root.
const (
	ResolvedDropIn = "etc/systemd/resolved.conf.d/luoyun.conf"
	ResolvconfHead = "etc/resolvconf/resolv.conf.d/head"
)

// resolvedFiles and resolvconfFiles are the link targets (resolved inside
// the root) that mean those services manage resolv.conf.
var (
	resolvedFiles = []string{
		"run/systemd/resolve/stub-resolv.conf", // the stub (127.0.0.53), Ubuntu's default
		"run/systemd/resolve/resolv.conf",      // the upstream servers
		"usr/lib/systemd/resolv.conf",          // the static stub file
		"lib/systemd/resolv.conf",              // the same before the /usr merge
	}
	resolvconfFiles = []string{
		"run/resolvconf/resolv.conf",
		"etc/resolvconf/run/resolv.conf", // before /run existed
	}
)

// Plan is what Decide chose.
type Plan struct {
	Target  Target
	Path    string // the file written, relative to the root
	Content []byte
	LinkTo  string // what etc/resolv.conf links to, for a link
}

// Service names the program that reads Path, or "" for the C library.
func (p Plan) Service() string {
	switch p.Target {
	case Resolved:
		return "systemd-resolved"
	case Resolvconf:
		return "resolvconf"
	}
	return ""
}

// Decide looks at etc/resolv.conf in root and returns where and what to
// write for servers. Links are followed inside root, as a chroot would.
func Decide(root *atomicfile.Root, servers []string) (Plan, error) {
	lines, err := Render(servers)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Target: File, Path: Path, Content: lines}
	at, err := root.ResolveParent(Path)
	if err != nil {
		return Plan{}, err
	}
	st, err := root.OS().Lstat(at)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return p, nil
	case err != nil:
		return Plan{}, fmt.Errorf("%s: %w", root.Path(Path), err)
	case st.Mode()&fs.ModeSymlink == 0:
		return p, nil // a regular file, or something Write refuses
	}
	if p.LinkTo, err = root.OS().Readlink(at); err != nil {
		return Plan{}, fmt.Errorf("%s: %w", root.Path(Path), err)
	}
	target, err := root.Resolve(at)
	if err != nil {
		return Plan{}, err
	}
	switch {
	case inList(target, resolvedFiles):
		p.Target, p.Path = Resolved, ResolvedDropIn
		p.Content = []byte("# Written by the LuoYun OS manager (osc) from the cloud's nameservers.\n[Resolve]\nDNS=" +
			strings.Join(fieldsAfter(lines, "nameserver"), " ") + "\n")
	case inList(target, resolvconfFiles):
		p.Target, p.Path = Resolvconf, ResolvconfHead
		old, err := root.ReadFile(ResolvconfHead)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return Plan{}, err
		}
		p.Content = append(withoutNameservers(old), lines...)
	default:
		p.Target = Link
	}
	return p, nil
}

func inList(s string, list []string) bool {
	for _, l := range list {
		if s == l {
			return true
		}
	}
	return false
}

// fieldsAfter returns the second field of every line whose first is key.
func fieldsAfter(text []byte, key string) []string {
	var out []string
	for _, l := range strings.Split(string(text), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == key {
			out = append(out, f[1])
		}
	}
	return out
}

// withoutNameservers keeps every line of a resolvconf head file but its
// nameserver lines (comments, options and search lines are the
// distribution's or the builder's), each ending in a newline.
func withoutNameservers(head []byte) []byte {
	var b strings.Builder
	for _, l := range strings.SplitAfter(string(head), "\n") {
		if l == "" {
			continue
		}
		if f := strings.Fields(l); len(f) > 0 && f[0] == "nameserver" {
			continue
		}
		b.WriteString(strings.TrimSuffix(l, "\n") + "\n")
	}
	return []byte(b.String())
}

// Apply writes p into root, or with dryRun reports whether it would
// change anything. The directories of a drop-in or head file are created
// (0755) inside root when missing.
func Apply(root *atomicfile.Root, p Plan, dryRun bool) (atomicfile.Result, error) {
	if dryRun {
		if p.Target == Link {
			return atomicfile.Changed, nil
		}
		return root.WouldChange(p.Path, p.Content)
	}
	opts := atomicfile.Options{Mode: 0o644}
	switch p.Target {
	case Link:
		opts.ReplaceLink = true
	case Resolved, Resolvconf:
		dir, err := root.Resolve(path.Dir(p.Path))
		if err != nil {
			return atomicfile.Unchanged, err
		}
		if err := root.OS().MkdirAll(dir, 0o755); err != nil {
			return atomicfile.Unchanged, fmt.Errorf("create %s: %w", root.Path(path.Dir(p.Path)), err)
		}
	}
	return root.Write(p.Path, p.Content, opts)
}

// Reload makes service re-read what Apply wrote, on the running system:
// `systemctl try-restart systemd-resolved.service` (resolved reads its
// drop-ins only when it starts; try-restart does nothing when it is not
// running) or `resolvconf -u` (regenerates resolv.conf from head).
func Reload(ctx context.Context, service string) error {
	var cmd *exec.Cmd
	switch service {
	case "systemd-resolved":
		cmd = exec.CommandContext(ctx, "systemctl", "try-restart", "systemd-resolved.service")
	case "resolvconf":
		cmd = exec.CommandContext(ctx, "resolvconf", "-u")
	default:
		return nil
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
