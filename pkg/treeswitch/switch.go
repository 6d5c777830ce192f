// Package treeswitch puts a new LuoYun tree in the place of an old one
// so that a cut at any moment (SIGKILL, power loss) leaves the old tree
// or the new one whole, never a mix, and the next run finishes the rest.
//
// The new tree is built beside the old one (in the same directory, so on
// the same file system): the components (Components) copied from the
// source, everything else the old tree holds hard-linked in (custom/,
// build/, conf/, log/, run/, a builder's own files, earlier backups),
// and a journal. One renameat2(RENAME_EXCHANGE) swaps the two
// directories; the old tree is then renamed into the new one as its
// backup (backup-YYYYmmdd-HHMMSS), and what the new tree holds already
// is removed from the backup, which keeps the replaced components only.
// A run finding the journal in the tree finishes that work first; a
// stage left beside the tree (the cut came before the exchange) is
// removed. Where the file system cannot exchange, the old tree is
// renamed aside and the new one into its place: for a moment there is
// no tree, and the next run undoes that.
package treeswitch

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/luoyun/osmanager/pkg/atomicfile"
)

// Components are the parts of a tree that come from the new tree.
var Components = []string{"bin", "init", "osmanager.sh", "install.sh", "uninstall.sh", "upgrade.sh"}

// kept are the parts a tree keeps; a new one comes from the source or
// empty where the tree has none.
var kept = []string{"custom", "build", "conf", "log", "run"}

// binaries must be in the source's bin/.
var binaries = []string{"floppyconf", "osc", "osm", "web", "webssh"}

// SettingsPath is the settings file, written as shipped when the tree
// has none.
const SettingsPath = "custom/osmanager.toml"

const (
	journalName  = ".upgrade-journal"
	legacyStage  = ".upgrade-stage."
	stageInfix   = ".upgrade-"
	backupPrefix = "backup-"
)

// Config says which tree goes where.
type Config struct {
	// Root is the image's root on this host ("/": this system). Dest is
	// resolved inside it as a chroot at Root would resolve it.
	Root string
	// Dest is the tree to lay out or upgrade, absolute inside Root.
	Dest string
	// Src is the new tree on this host.
	Src string
	// Out receives one line per step.
	Out io.Writer
	// Now stamps the backup directory's name.
	Now func() time.Time
	// AfterRename, when set, is called after each rename with its count
	// (1, 2, ...), so that a test can cut the run there.
	AfterRename func(n int)
	// NoExchange takes the way of a file system that cannot exchange.
	NoExchange bool
}

// Result says what Upgrade did.
type Result struct {
	// Dest and Backup are the tree and the backup on this host; Backup
	// is "" when nothing was replaced.
	Dest, Backup string
	// Settings is the settings file on this host.
	Settings string
	// Unchanged reports that the tree already was the new one.
	Unchanged bool
	// Renames counts the renames made.
	Renames int
}

type switcher struct {
	Config
	parent *os.Root // the directory holding the tree
	pdir   *os.File // the same, for renameat2
	src    *os.Root
	name   string // the tree's name in parent
	show   func(rel string) string
	res    Result
}

// Upgrade lays out or upgrades the tree.
func Upgrade(c Config) (Result, error) {
	root, err := atomicfile.OpenRoot(c.Root)
	if err != nil {
		return Result{}, fmt.Errorf("cannot enter %s: %w", c.Root, err)
	}
	defer root.Close()
	res, err := root.Resolve(strings.TrimPrefix(path.Clean("/"+c.Dest), "/"))
	if err != nil {
		return Result{}, err
	}
	if res == "." {
		return Result{}, fmt.Errorf("%s is the image's root, not a tree in it", root.Path(res))
	}
	dir := path.Dir(res)
	if err := root.OS().MkdirAll(dir, 0o755); err != nil {
		return Result{}, fmt.Errorf("cannot create %s: %w", root.Path(dir), unwrap(err))
	}
	s := &switcher{Config: c, name: path.Base(res)}
	s.res.Dest = root.Path(res)
	s.show = func(rel string) string { return root.Path(path.Join(dir, rel)) }
	if s.parent, err = root.OS().OpenRoot(dir); err != nil {
		return Result{}, fmt.Errorf("cannot enter %s: %w", root.Path(dir), unwrap(err))
	}
	defer s.parent.Close()
	if s.pdir, err = s.parent.Open("."); err != nil {
		return Result{}, err
	}
	defer s.pdir.Close()
	// One run at a time per directory: a second would take the first's
	// stage for a stale one. The kernel drops the lock with the process.
	if err := unix.Flock(int(s.pdir.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return Result{}, fmt.Errorf("another upgrade is running in %s", root.Path(dir))
	}
	if s.src, err = os.OpenRoot(c.Src); err != nil {
		return Result{}, fmt.Errorf("cannot read the new tree: %w", err)
	}
	defer s.src.Close()
	s.res.Settings = s.show(path.Join(s.name, SettingsPath))
	err = s.run()
	return s.res, err
}

func (s *switcher) run() error {
	if err := s.checkSource(); err != nil {
		return err
	}
	if err := s.recover(); err != nil {
		return err
	}
	st, err := s.parent.Lstat(s.name)
	exists := err == nil
	switch {
	case exists && !st.IsDir():
		return fmt.Errorf("%s exists and is not a directory", s.res.Dest)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if exists {
		up, err := s.parent.Lstat(".")
		if err != nil {
			return err
		}
		if err := sameDevice(s.parent, s.name, up); err != nil {
			return fmt.Errorf("%s: %w", s.res.Dest, err)
		}
	}
	if sst, err := s.src.Stat("."); err == nil && exists && os.SameFile(sst, st) {
		return fmt.Errorf("%s is this tree itself", s.res.Dest)
	}
	var replaced, added, fresh []string
	for _, c := range Components {
		a, err := signature(s.src, c)
		if err != nil {
			return err
		}
		b, err := signature(s.parent, path.Join(s.name, c))
		if err != nil {
			return err
		}
		switch {
		case a == b:
		case b == "":
			added = append(added, c)
		default:
			replaced = append(replaced, c)
		}
	}
	for _, k := range kept {
		if _, err := s.parent.Lstat(path.Join(s.name, k)); err == nil {
			fmt.Fprintf(s.Out, "keeping existing %s\n", s.show(path.Join(s.name, k)))
		} else {
			fresh = append(fresh, k)
		}
	}
	_, err = s.parent.Lstat(path.Join(s.name, SettingsPath))
	settings := errors.Is(err, fs.ErrNotExist) && !slices.Contains(fresh, "custom")
	if len(replaced)+len(added)+len(fresh) == 0 && !settings {
		s.res.Unchanged = true
		return nil
	}

	stage, err := s.stage(exists, fresh, settings)
	if err != nil {
		if stage != "" {
			_ = s.parent.RemoveAll(stage)
		}
		return err
	}
	var backup string
	if len(replaced) > 0 {
		backup = backupPrefix + s.Now().Format("20060102-150405")
		if _, err := s.parent.Lstat(path.Join(stage, backup)); err == nil {
			backup += "." + suffix()
		}
	}
	if err := s.swap(stage, exists, journal{old: stage, backup: backup, keep: replaced}); err != nil {
		_ = s.parent.RemoveAll(stage)
		return err
	}
	for _, c := range replaced {
		fmt.Fprintf(s.Out, "replaced %s\n", c)
	}
	for _, c := range append(added, fresh...) {
		fmt.Fprintf(s.Out, "installed %s\n", c)
	}
	if settings {
		fmt.Fprintf(s.Out, "created %s (every setting at its default, commented out)\n", s.res.Settings)
	}
	if exists {
		return s.finish()
	}
	return nil
}

// checkSource reports a source tree that lacks a part.
func (s *switcher) checkSource() error {
	for _, c := range append(slices.Clone(Components), "custom", "build") {
		if _, err := s.src.Lstat(c); err != nil {
			return fmt.Errorf("this tree (%s) lacks %s", s.Src, c)
		}
	}
	for _, b := range binaries {
		st, err := s.src.Stat("bin/" + b)
		if err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
			return fmt.Errorf("this tree (%s) lacks bin/%s", s.Src, b)
		}
	}
	return nil
}

// stage builds the new tree beside the old one and returns its name.
func (s *switcher) stage(exists bool, fresh []string, settings bool) (string, error) {
	stage := "." + s.name + stageInfix + suffix()
	if err := s.parent.Mkdir(stage, 0o700); err != nil {
		return "", fmt.Errorf("cannot make a stage directory in %s: %w", s.show("."), unwrap(err))
	}
	for _, c := range Components {
		if err := copyTree(s.src, c, s.parent, path.Join(stage, c), false); err != nil {
			return stage, fmt.Errorf("cannot copy %s into %s: %w", c, s.show(stage), unwrap(err))
		}
	}
	if exists {
		if err := s.linkKept(stage); err != nil {
			return stage, err
		}
	}
	for _, k := range fresh {
		var err error
		switch k {
		case "custom", "build":
			err = copyTree(s.src, k, s.parent, path.Join(stage, k), false)
			if err == nil {
				err = removeKeep(s.parent, path.Join(stage, k))
			}
		case "conf":
			err = s.parent.Mkdir(path.Join(stage, k), 0o700)
		default:
			err = s.parent.Mkdir(path.Join(stage, k), 0o755)
		}
		if err != nil {
			return stage, fmt.Errorf("cannot make %s in %s: %w", k, s.show(stage), unwrap(err))
		}
	}
	if settings {
		err := copyFile(s.src, SettingsPath, s.parent, path.Join(stage, SettingsPath))
		if err == nil {
			err = s.parent.Chmod(path.Join(stage, SettingsPath), 0o644)
		}
		if err != nil {
			return stage, fmt.Errorf("cannot write %s: %w", s.show(path.Join(stage, SettingsPath)), unwrap(err))
		}
	}
	for _, c := range Components {
		a, err1 := signature(s.src, c)
		b, err2 := signature(s.parent, path.Join(stage, c))
		if err1 != nil || err2 != nil || a != b {
			return stage, fmt.Errorf("the staged %s differs from %s/%s (disk full?)", c, s.Src, c)
		}
	}
	st, err := s.parent.Lstat(s.name)
	if err == nil {
		err = keepAttrs(s.parent, stage, st)
	} else {
		err = s.parent.Chmod(stage, 0o755)
	}
	if err != nil {
		return stage, fmt.Errorf("cannot set up %s: %w", s.show(stage), unwrap(err))
	}
	return stage, nil
}

// linkKept links everything of the old tree but its components into the
// stage. A kept directory on another file system (a mount point) stops
// the run: it cannot move with the tree.
func (s *switcher) linkKept(stage string) error {
	names, err := readNames(s.parent, s.name)
	if err != nil {
		return err
	}
	top, err := s.parent.Lstat(s.name)
	if err != nil {
		return err
	}
	for _, n := range names {
		if slices.Contains(Components, n) || n == journalName || strings.HasPrefix(n, legacyStage) {
			continue
		}
		p := path.Join(s.name, n)
		if err := sameDevice(s.parent, p, top); err != nil {
			return fmt.Errorf("%s: %w", s.show(p), err)
		}
		if err := copyTree(s.parent, p, s.parent, path.Join(stage, n), true); err != nil {
			return fmt.Errorf("cannot link %s into %s: %w", s.show(p), s.show(stage), unwrap(err))
		}
	}
	return nil
}

// suffix is a random name part for stages and colliding backups.
func suffix() string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 6)
	for i := range b {
		b[i] = letters[rand.IntN(len(letters))]
	}
	return string(b)
}

// removeKeep removes the .keep placeholders under p.
func removeKeep(r *os.Root, p string) error {
	return fs.WalkDir(r.FS(), p, func(q string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == ".keep" && d.Type().IsRegular() {
			err = r.Remove(q)
		}
		return err
	})
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// exchangeUnsupported reports whether err says the file system cannot
// exchange two names.
func exchangeUnsupported(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP)
}

// sameDevice refuses p when it is on another file system than top.
func sameDevice(r *os.Root, p string, top fs.FileInfo) error {
	st, err := r.Lstat(p)
	if err != nil {
		return err
	}
	a, ok1 := st.Sys().(*syscall.Stat_t)
	b, ok2 := top.Sys().(*syscall.Stat_t)
	if ok1 && ok2 && a.Dev != b.Dev {
		return errors.New("on another file system (a mount point): it cannot move with the tree; unmount it first")
	}
	return nil
}
