package install

import (
	"fmt"
	"slices"
	"strings"

	"github.com/luoyun/osmanager/pkg/atomicfile"
	"github.com/luoyun/osmanager/pkg/origjobs"
)

// Uninstall removes the entries the tree's install.manifest lists (a
// link only while it still points where install made it point, a file
// only while it is a regular file), then the listed directories that are
// empty, then the manifest. Without a manifest (a tree the original
// scripts installed) it removes only the rc links to the tree's
// osmanager.sh, as the original uninstall did. Config's Kind, Force and
// Settings are not used. It returns the success line's text.
func Uninstall(c Config) (string, error) {
	root, err := atomicfile.OpenRoot(c.Root)
	if err != nil {
		return "", fmt.Errorf("cannot enter %s: %w", c.Root, err)
	}
	defer root.Close()
	t := target{root}
	mpath := c.Dir + "/install.manifest"
	data, ok := t.regular(mpath)
	if !ok {
		fmt.Fprintf(c.Out, "no %s: removing only links to %s/osmanager.sh\n", t.Path(rel(mpath)), c.Dir)
		for _, n := range []string{"2", "3", "4", "5"} {
			if origjobs.IsRCLink(t.readlink(rcLink(n)), c.Dir) {
				if err := t.remove(rcLink(n)); err != nil {
					return "", err
				}
				fmt.Fprintf(c.Out, "removed %s\n", rcLink(n))
			}
		}
		return "", nil
	}
	m := parseManifest(data)
	ours := func(e Entry) bool {
		if e.Link {
			return t.readlink(e.Path) == e.Arg
		}
		_, ok := t.regular(e.Path)
		return ok
	}
	for _, e := range slices.Backward(m.entries) {
		switch {
		case ours(e):
			if t.remove(e.Path) == nil {
				fmt.Fprintf(c.Out, "removed %s\n", e.Path)
			}
		case e.Link && t.readlink(e.Path) != "":
			fmt.Fprintf(c.Out, "kept %s: it now points at %s\n", e.Path, t.readlink(e.Path))
		case !e.Link && t.exists(e.Path):
			fmt.Fprintf(c.Out, "kept %s: no longer a regular file\n", e.Path)
		}
	}
	dirs := slices.Clone(m.dirs)
	slices.Sort(dirs)
	for _, d := range slices.Backward(dirs) {
		if _, ok := t.dir(d); !ok {
			continue
		}
		if res, ok := t.emptyDir(d); ok && t.OS().Remove(res) == nil {
			fmt.Fprintf(c.Out, "removed %s/\n", d)
		} else {
			fmt.Fprintf(c.Out, "kept %s/: not empty\n", d)
		}
	}
	var left []string
	for _, e := range m.entries {
		if ours(e) {
			left = append(left, e.Path)
		}
	}
	if len(left) > 0 {
		return "", fmt.Errorf("still in place: %s", strings.Join(left, " "))
	}
	if err := t.remove(mpath); err != nil {
		return "", fmt.Errorf("cannot remove %s: %w", t.Path(rel(mpath)), err)
	}
	if c.live() {
		reload(m.kind)
	}
	return m.kind, nil
}
