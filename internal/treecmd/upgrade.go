package treecmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/luoyun/osmanager/pkg/atomicfile"
	"github.com/luoyun/osmanager/pkg/origjobs"
	"github.com/luoyun/osmanager/pkg/treeswitch"
)

const upgradeUsage = `Usage: upgrade.sh [--root IMG] [DEST] [-h]

  --root IMG  the image (or system) root the tree is in; DEST is then a
              path inside it (default /LuoYun), its links followed as a
              chroot at IMG would follow them
  DEST        the tree to lay out or upgrade; given alone, a host path
              with no symbolic link on the way

The components bin/ init/ osmanager.sh install.sh uninstall.sh upgrade.sh
come from this script's tree; everything else DEST holds stays byte for
byte (custom/ build/ conf/ log/ run/ install.manifest, a builder's own
files); custom/ and build/ come from this tree where DEST has none,
custom/osmanager.toml where it has none. The new tree is built beside
DEST, swapped with it in one step, and the replaced components end in
DEST/backup-YYYYmmdd-HHMMSS (printed). A run cut at any moment leaves the
old tree or the new one; the next run finishes or undoes the rest.
Boot entries are install.sh's job: a line starting "next:" says when the
original's jobs still run the old programs.
`

// Test hooks, read from the environment: cut the run by SIGKILL right
// after its Nth rename; take the way of a file system that cannot
// exchange.
const (
	envCutAfterRename = "LUOYUN_TEST_CUT_AFTER_RENAME"
	envNoExchange     = "LUOYUN_TEST_NO_EXCHANGE"
)

// Upgrade is osc upgrade, run by upgrade.sh.
func Upgrade(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if err := runUpgrade(args, stdout); err != nil {
		return exit("upgrade", err, stdout, stderr)
	}
	return 0
}

func runUpgrade(args []string, stdout io.Writer) error {
	f, err := parse("upgrade.sh", args, []string{"--tree", "--root"}, nil)
	if err != nil {
		return err
	}
	if f.set["help"] {
		fmt.Fprint(stdout, upgradeUsage)
		return nil
	}
	if len(f.args) > 1 {
		return usageError{"upgrade.sh: one DEST only (see --help)"}
	}
	src := f.values["--tree"]
	if src == "" {
		return usageError{"upgrade.sh: --tree missing"}
	}
	src, err = filepath.EvalSymlinks(src)
	if err != nil {
		return fmt.Errorf("cannot find the directory of upgrade.sh: %w", err)
	}
	c := treeswitch.Config{Src: src, Out: stdout, Now: time.Now, NoExchange: os.Getenv(envNoExchange) == "1"}
	if n, err := strconv.Atoi(os.Getenv(envCutAfterRename)); err == nil {
		c.AfterRename = func(i int) {
			if i == n {
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}
	}
	root, hasRoot := f.values["--root"]
	switch {
	case hasRoot:
		if st, err := os.Stat(root); err != nil && os.IsNotExist(err) {
			if err := os.MkdirAll(root, 0o755); err != nil {
				return fmt.Errorf("cannot create %s: %w", root, err)
			}
		} else if err != nil || !st.IsDir() {
			return fmt.Errorf("the image root %s is not a directory", root)
		}
		c.Root, c.Dest = root, "/LuoYun"
		if len(f.args) == 1 {
			c.Dest = path.Clean("/" + f.args[0])
		}
		if abs, err := filepath.Abs(root); err == nil && abs != "/" && strings.HasPrefix(c.Dest, abs+"/") {
			return usageError{fmt.Sprintf("upgrade.sh: DEST is a path inside the image: %s, not %s", strings.TrimPrefix(c.Dest, abs), c.Dest)}
		}
	case len(f.args) == 0:
		return usageError{"upgrade.sh: DEST missing (see --help)"}
	default:
		dest, err := filepath.Abs(f.args[0])
		if err != nil {
			return err
		}
		if link := firstLink(dest); link != "" {
			return fmt.Errorf("%s is a symbolic link on the way to %s; give the image's root with --root IMG and DEST inside it", link, dest)
		}
		c.Root, c.Dest = "/", dest
	}
	res, err := treeswitch.Upgrade(c)
	if err != nil {
		return err
	}
	if res.Backup != "" {
		fmt.Fprintf(stdout, "old components moved to %s\n", res.Backup)
	}
	if !hasRoot {
		c.Root, c.Dest = filepath.Dir(res.Dest), "/"+filepath.Base(res.Dest)
	}
	if originalJobs(c.Root, c.Dest) {
		fmt.Fprintf(stdout, "next: run install.sh (chroot %s %s/install.sh, or %s/install.sh --root %s): the original's jobs in %s still run the old programs\n",
			c.Root, c.Dest, res.Dest, c.Root, filepath.Join(c.Root, "etc/init/luoyun"))
	}
	switch {
	case res.Unchanged:
		fmt.Fprintf(stdout, "upgrade success: %s unchanged; settings in %s\n", res.Dest, res.Settings)
	case res.Backup != "":
		fmt.Fprintf(stdout, "upgrade success: %s, backup %s; settings in %s\n", res.Dest, res.Backup, res.Settings)
	default:
		fmt.Fprintf(stdout, "upgrade success: %s; settings in %s\n", res.Dest, res.Settings)
	}
	return nil
}

// firstLink returns the first symbolic link on the way to p, or "".
func firstLink(p string) string {
	cur := "/"
	for _, c := range strings.Split(strings.Trim(p, "/"), "/") {
		if c == "" {
			continue
		}
		cur = filepath.Join(cur, c)
		st, err := os.Lstat(cur)
		if err != nil {
			return ""
		}
		if st.Mode()&os.ModeSymlink != 0 {
			return cur
		}
	}
	return ""
}

// originalJobs reports whether the image at root still holds the
// original's upstart jobs for the tree at dir.
func originalJobs(root, dir string) bool {
	r, err := atomicfile.OpenRoot(root)
	if err != nil {
		return false
	}
	defer r.Close()
	for _, j := range origjobs.Names {
		if b, err := r.ReadFile("etc/init/luoyun/" + j + ".conf"); err == nil && origjobs.Recognise(j, b, dir) {
			return true
		}
	}
	return false
}
