package treecmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	osmanager "github.com/luoyun/osmanager"
	"github.com/luoyun/osmanager/pkg/install"
)

const installUsage = `Usage: install.sh [--init auto|systemd|upstart|sysv] [--root DIR] [--force] [-h]

  --init KIND  which init system to install for (env LUOYUN_INIT; default
               auto: systemd when it runs or is the target's /sbin/init,
               upstart when /sbin/initctl and /etc/init exist, else SysV)
  --root DIR   install into the system under DIR, e.g. an image being
               built (env LUOYUN_INSTALL_ROOT; default /). No running init
               is needed: this works in a chroot and on an image.
  --force      replace entries that exist but were not installed by us
               (each is saved first in <tree>/backup-YYYYmmdd-HHMMSS/)

It installs, with paths under the target root:
  sysv:    /etc/rc{2,3,4,5}.d/S99luoyun-osmanager and /etc/init.d/luoyun-osmanager,
           links to <tree>/osmanager.sh
  upstart: /etc/init/luoyun/{osconfig,customconfig,customweb,osm,webssh}.conf
  systemd: /etc/systemd/system/luoyun-{osconfig,customconfig,web,webssh,osm}.service,
           enabled through links in /etc/systemd/system/multi-user.target.wants/
<tree> is the script's directory seen from inside the target root, or
LUOYUN_DIR when set. Every entry is listed in <tree>/install.manifest,
which uninstall.sh reads. The original LuoYun's entries for the tree are
replaced; running it again changes nothing.
`

const uninstallUsage = `Usage: uninstall.sh [--root DIR] [-h]

  --root DIR   the system install.sh was run for (env LUOYUN_INSTALL_ROOT;
               default /)

It removes the entries <tree>/install.manifest lists (a link that now
points elsewhere is kept and reported), then the directories listed there
that are empty, then the manifest. Without a manifest it removes only the
/etc/rc{2,3,4,5}.d/S99luoyun-osmanager links to <tree>/osmanager.sh.
`

// Install is osc install, run by install.sh.
func Install(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	err := runInstall(args, stdout, true)
	if err == nil {
		return 0
	}
	return exit("install", err, stdout, stderr)
}

// Uninstall is osc uninstall, run by uninstall.sh.
func Uninstall(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	err := runInstall(args, stdout, false)
	if err == nil {
		return 0
	}
	return exit("uninstall", err, stdout, stderr)
}

func runInstall(args []string, stdout io.Writer, in bool) error {
	script, usage := "install.sh", installUsage
	withValue, alone := []string{"--tree", "--root", "--init"}, []string{"--force"}
	if !in {
		script, usage = "uninstall.sh", uninstallUsage
		withValue, alone = []string{"--tree", "--root"}, nil
	}
	f, err := parse(script, args, withValue, alone)
	if err != nil {
		return err
	}
	if f.set["help"] {
		fmt.Fprint(stdout, usage)
		return nil
	}
	if len(f.args) > 0 {
		return usageError{fmt.Sprintf("%s: unknown argument %s (see --help)", script, f.args[0])}
	}
	kind := valueOr(f, "--init", os.Getenv("LUOYUN_INIT"), install.Auto)
	switch kind {
	case install.Auto, install.SysV, install.Upstart, install.Systemd:
	default:
		return usageError{fmt.Sprintf("%s: --init must be auto, systemd, upstart or sysv, not '%s'", script, kind)}
	}
	tree := f.values["--tree"]
	if tree == "" {
		return usageError{script + ": --tree missing"}
	}
	root, dir, err := locate(tree, valueOr(f, "--root", os.Getenv("LUOYUN_INSTALL_ROOT"), "/"), os.Getenv("LUOYUN_DIR"), in)
	if err != nil {
		return err
	}
	c := install.Config{Root: root, Dir: dir, Kind: kind, Force: f.set["--force"], Settings: osmanager.Settings, Out: stdout, Now: time.Now}
	if !in {
		kind, err := install.Uninstall(c)
		if err == nil {
			fmt.Fprintf(stdout, "uninstall success%s\n", prefixed(": ", kind))
		}
		return err
	}
	line, err := install.Install(c)
	if err == nil {
		fmt.Fprintf(stdout, "install success: %s\n", line)
	}
	return err
}

func valueOr(f flags, name string, alt ...string) string {
	if v, ok := f.values[name]; ok {
		return v
	}
	for _, a := range alt {
		if a != "" {
			return a
		}
	}
	return ""
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// locate returns the target root on this host (links resolved) and the
// tree as the target sees it: LUOYUN_DIR, or the tree's place under the
// root. A tree outside the root needs LUOYUN_DIR (strict), or is taken
// at its own path.
func locate(tree, root, env string, strict bool) (string, string, error) {
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return "", "", fmt.Errorf("target root %s is not a directory", root)
	}
	rootAbs, err := filepath.Abs(root)
	if err != nil {
		return "", "", err
	}
	rootReal, err := filepath.EvalSymlinks(rootAbs)
	if err != nil {
		return "", "", fmt.Errorf("cannot enter %s: %w", root, errors.Unwrap(err))
	}
	if env != "" {
		if !strings.HasPrefix(env, "/") {
			return "", "", fmt.Errorf("LUOYUN_DIR must be an absolute path, not '%s'", env)
		}
		return rootReal, filepath.Clean(env), nil
	}
	treeAbs, err := filepath.Abs(tree)
	if err != nil {
		return "", "", err
	}
	// The tree's path as given first (links in it are the image's, to be
	// followed inside it), then with the host's links resolved.
	for _, r := range []string{rootAbs, rootReal} {
		if d, ok := under(treeAbs, r); ok && rootReal != "/" {
			return rootReal, d, nil
		}
	}
	treeReal, err := filepath.EvalSymlinks(treeAbs)
	if err != nil {
		return "", "", fmt.Errorf("cannot find the tree %s: %w", tree, errors.Unwrap(err))
	}
	if d, ok := under(treeReal, rootReal); ok {
		return rootReal, d, nil
	}
	if strict {
		return "", "", fmt.Errorf("%s is not under the target root %s; set LUOYUN_DIR to the tree's path inside the target", treeReal, root)
	}
	return rootReal, treeReal, nil
}

// under returns p as seen from root, when p is under it.
func under(p, root string) (string, bool) {
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return filepath.Clean("/" + rel), true
}
