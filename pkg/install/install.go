// Package install puts a LuoYun tree's boot entries in place for an init
// system (SysV rc links, upstart jobs, systemd units) in a system root,
// lists them in the tree's install.manifest, and removes exactly those
// again. The root is the running system ("/") or an image: every path
// is taken inside it, links followed as a chroot at it would follow them
// (atomicfile.Root), so nothing outside the root is read or written.
// Entries the original LuoYun scripts made for the tree (origjobs) are
// replaced without --force; anything else in the way is refused, or with
// Force saved in a backup directory of the tree and replaced.
package install

import (
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/luoyun/osmanager/pkg/atomicfile"
	"github.com/luoyun/osmanager/pkg/origjobs"
)

// Config says what to install where.
type Config struct {
	// Root is the target system's root on this host; "/" is this system.
	Root string
	// Dir is the tree as the target sees it: an absolute path.
	Dir string
	// Kind is the init system: Auto, SysV, Upstart or Systemd.
	Kind string
	// Force replaces entries in the way that are neither ours nor the
	// original's; each is saved first under Dir/backup-YYYYmmdd-HHMMSS.
	Force bool
	// Settings is the settings file as shipped: written to
	// custom/osmanager.toml when the tree has none.
	Settings []byte
	// Out receives one line per step.
	Out io.Writer
	// Now stamps the backup directory's name.
	Now func() time.Time
}

// live reports whether the root is the running system.
func (c Config) live() bool { return path.Clean(c.Root) == "/" }

// installer is one run of Install.
type installer struct {
	Config
	t        target
	old      manifest
	original map[string]bool // paths of the original's entries
	backup   string          // where forced replacements were saved
}

// Install puts the entries in place and verifies them; it returns the
// success line's text ("sysv, 5 entries, tree /LuoYun, root /").
func Install(c Config) (string, error) {
	if !treeChars(c.Dir) {
		return "", fmt.Errorf("the tree's path '%s' has characters init files cannot carry", c.Dir)
	}
	root, err := atomicfile.OpenRoot(c.Root)
	if err != nil {
		return "", fmt.Errorf("cannot enter %s: %w", c.Root, err)
	}
	defer root.Close()
	in := &installer{Config: c, t: target{root}, original: map[string]bool{}}
	if in.Kind == Auto {
		in.Kind = detect(in.t, c.live())
	}
	return in.run()
}

func (in *installer) run() (string, error) {
	t, dir := in.t, in.Dir
	if _, ok := t.regular(dir + "/osmanager.sh"); !ok {
		return "", fmt.Errorf("%s/osmanager.sh not found", t.Path(rel(dir)))
	}
	if err := in.makeExecutable(dir + "/osmanager.sh"); err != nil {
		return "", err
	}
	if err := writeSettings(t, dir, in.Settings, in.Out); err != nil {
		return "", err
	}
	if b, ok := t.regular(dir + "/install.manifest"); ok {
		in.old = parseManifest(b)
	}
	for _, n := range []string{"2", "3", "4", "5"} {
		in.original[rcLink(n)] = origjobs.IsRCLink(t.readlink(rcLink(n)), dir)
	}
	for _, j := range origjobs.Names {
		p := "/etc/init/luoyun/" + j + ".conf"
		b, ok := t.regular(p)
		in.original[p] = ok && origjobs.Recognise(j, b, dir)
	}

	entries := Entries(in.Kind, dir)
	content := map[string][]byte{}
	for _, e := range entries {
		if !e.Link {
			b, ok := t.regular(e.Arg)
			if !ok {
				return "", fmt.Errorf("missing %s", t.Path(rel(e.Arg)))
			}
			content[e.Path] = render(b, dir)
		}
	}
	var forced []Entry
	for _, e := range entries {
		st, err := t.lstat(e.Path)
		if err != nil {
			continue
		}
		res, _ := t.entry(e.Path)
		if st.IsDir() {
			return "", fmt.Errorf("%s is a directory", t.Path(res))
		}
		if in.old.has(e.Link, e.Path) || in.same(e, content) || in.original[e.Path] {
			continue
		}
		if !in.Force {
			return "", fmt.Errorf("%s exists and was not installed by install.sh (use --force to replace it)", t.Path(res))
		}
		forced = append(forced, e)
	}
	dirs, err := in.makeDirs(entries)
	if err != nil {
		return "", err
	}
	in.removeOld(entries, dirs)
	for _, e := range forced {
		if err := in.save(e.Path); err != nil {
			return "", err
		}
	}
	for _, e := range entries {
		if err := in.put(e, content, slices.Contains(forced, e)); err != nil {
			return "", err
		}
	}
	m := manifest{kind: in.Kind, dir: dir, dirs: dirs}
	for _, e := range entries {
		if !e.Link {
			e.Arg = ""
		}
		m.entries = append(m.entries, e)
	}
	if _, err := t.Write(rel(dir+"/install.manifest"), []byte(m.String()), atomicfile.Options{Mode: 0o644, ForceMode: true}); err != nil {
		return "", fmt.Errorf("cannot write %s: %w", t.Path(rel(dir+"/install.manifest")), err)
	}
	var bad []string
	for _, e := range entries {
		if !in.same(e, content) {
			bad = append(bad, e.Path)
		}
	}
	if len(bad) > 0 {
		return "", fmt.Errorf("not in place: %s", strings.Join(bad, " "))
	}
	for _, b := range []string{"floppyconf", "osc", "web", "webssh", "osm"} {
		if !t.executable(dir + "/bin/" + b) {
			fmt.Fprintf(in.Out, "warning: %s is missing\n", t.Path(rel(dir+"/bin/"+b)))
		}
	}
	if in.live() {
		reload(in.Kind)
	}
	return fmt.Sprintf("%s, %d entries, tree %s, root %s", in.Kind, len(entries), dir, in.Root), nil
}

// same reports whether e already is what install would make.
func (in *installer) same(e Entry, content map[string][]byte) bool {
	if e.Link {
		return in.t.readlink(e.Path) == e.Arg
	}
	b, ok := in.t.regular(e.Path)
	return ok && string(b) == string(content[e.Path])
}

func (in *installer) makeExecutable(p string) error {
	if in.t.executable(p) {
		return nil
	}
	res, err := in.t.Resolve(rel(p))
	if err == nil {
		err = in.t.OS().Chmod(res, 0o755)
	}
	if err != nil {
		return fmt.Errorf("cannot make %s executable: %w", in.t.Path(rel(p)), unwrap(err))
	}
	return nil
}

// makeDirs makes the directories the entries need and returns those the
// manifest lists: made now, or by the previous install and still needed.
func (in *installer) makeDirs(entries []Entry) ([]string, error) {
	var dirs []string
	seen := map[string]bool{}
	for _, e := range entries {
		for _, d := range parents(e.Path) {
			if seen[d] {
				continue
			}
			seen[d] = true
			if _, ok := in.t.dir(d); ok {
				if slices.Contains(in.old.dirs, d) {
					dirs = append(dirs, d)
				}
				continue
			}
			res, err := in.t.Resolve(rel(d))
			if err == nil {
				err = in.t.OS().Mkdir(res, 0o755)
			}
			if err != nil {
				return nil, fmt.Errorf("cannot create %s (at %s inside the root): %w", d, in.t.Path(res), unwrap(err))
			}
			dirs = append(dirs, d)
		}
	}
	return dirs, nil
}

// removeOld removes the previous install's entries that this one does not
// make (another init system), if they are still ours, and the original's
// entries this init system does not use: they would start the tree twice.
func (in *installer) removeOld(entries []Entry, dirs []string) {
	t := in.t
	makes := func(p string) bool {
		return slices.ContainsFunc(entries, func(e Entry) bool { return e.Path == p })
	}
	for _, e := range in.old.entries {
		if makes(e.Path) {
			continue
		}
		ours := in.t.readlink(e.Path) == e.Arg && e.Link
		if _, ok := t.regular(e.Path); ok && !e.Link {
			ours = true
		}
		if ours && t.remove(e.Path) == nil {
			fmt.Fprintf(in.Out, "removed %s\n", e.Path)
		}
	}
	old := slices.Clone(in.old.dirs)
	slices.Sort(old)
	slices.Reverse(old)
	for _, d := range old {
		if slices.Contains(dirs, d) {
			continue
		}
		if res, ok := t.emptyDir(d); ok && t.OS().Remove(res) == nil {
			fmt.Fprintf(in.Out, "removed %s/\n", d)
		}
	}
	found := false
	for _, p := range slices.Sorted(maps.Keys(in.original)) {
		if !in.original[p] {
			continue
		}
		found = true
		if !makes(p) && t.remove(p) == nil {
			fmt.Fprintf(in.Out, "removed the original's %s\n", p)
		}
	}
	if found && !slices.Contains(dirs, "/etc/init/luoyun") {
		if res, ok := t.emptyDir("/etc/init/luoyun"); ok && t.OS().Remove(res) == nil {
			fmt.Fprintf(in.Out, "removed the original's /etc/init/luoyun/\n")
		}
	}
}

// put makes the entry e, unless it already is what it should be.
func (in *installer) put(e Entry, content map[string][]byte, forced bool) error {
	if in.same(e, content) {
		fmt.Fprintf(in.Out, "unchanged %s\n", e.Path)
		return nil
	}
	var err error
	if e.Link {
		err = in.t.symlink(e.Arg, e.Path)
	} else {
		_, err = in.t.Write(rel(e.Path), content[e.Path], atomicfile.Options{Mode: 0o644, ForceMode: true, ReplaceLink: true})
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", e.Path, err)
	}
	switch {
	case in.original[e.Path]:
		fmt.Fprintf(in.Out, "installed %s (replaced the original's)\n", e.Path)
	case forced:
		fmt.Fprintf(in.Out, "installed %s (the one it replaced is in %s)\n", e.Path, in.t.Path(rel(in.backup+e.Path)))
	default:
		fmt.Fprintf(in.Out, "installed %s\n", e.Path)
	}
	return nil
}

// save copies the entry p into the tree's backup directory before --force
// replaces it.
func (in *installer) save(p string) error {
	t := in.t
	if in.backup == "" {
		in.backup = in.Dir + "/backup-" + in.Now().Format("20060102-150405")
	}
	to := in.backup + p
	for _, d := range parents(to) {
		if _, ok := t.dir(d); !ok {
			res, err := t.Resolve(rel(d))
			if err == nil {
				err = t.OS().Mkdir(res, 0o700)
			}
			if err != nil {
				return fmt.Errorf("cannot save %s: %w", p, unwrap(err))
			}
		}
	}
	var err error
	if l := t.readlink(p); l != "" {
		err = t.symlink(l, to)
	} else if b, ok := t.regular(p); ok {
		_, err = t.Write(rel(to), b, atomicfile.Options{Mode: 0o644})
	}
	if err != nil {
		return fmt.Errorf("cannot save %s: %w", p, err)
	}
	return nil
}
