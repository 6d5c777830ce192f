package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUpgradeLinkedTree: with the image's LuoYun a link (absolute, one
// climbing with "..", one to a place that does not exist yet), make
// install DESTDIR=IMG and upgrade.sh --root IMG follow it as a chroot at
// IMG would: the tree lands inside the image and nothing outside it
// changes. upgrade.sh given IMG/LuoYun alone refuses the link in one line.
func TestUpgradeLinkedTree(t *testing.T) {
	dist := t.TempDir()
	if r := runScript(t, []string{"MAKEFLAGS="}, makeArgs(t, "stage", "STAGE="+filepath.Join(dist, "LuoYun"))...); r.code != 0 {
		t.Fatalf("make stage = exit %d:\n%s", r.code, r.out)
	}
	upgrade := filepath.Join(dist, "LuoYun/upgrade.sh")
	ways := map[string]func(t *testing.T, img string) result{
		"make install": func(t *testing.T, img string) result {
			return runScript(t, []string{"MAKEFLAGS="}, makeArgs(t, "install", "DESTDIR="+img)...)
		},
		"upgrade --root": func(t *testing.T, img string) result { return runScript(t, nil, upgrade, "--root", img) },
	}
	links := map[string]func(outside string) (link, inImage string){
		"absolute": func(o string) (string, string) { return o, o },
		"relative": func(o string) (string, string) { return strings.Repeat("../", 20) + strings.TrimPrefix(o, "/"), o },
		"missing":  func(o string) (string, string) { return o + "/opt/x", o + "/opt/x" },
	}
	for way, run := range ways {
		for name, link := range links {
			t.Run(strings.ReplaceAll(way, " ", "_")+"/"+name, func(t *testing.T) {
				outside := t.TempDir() // on the host: must stay as it is
				writeFile(t, filepath.Join(outside, "host-file"), "host's\n", 0o644)
				mkdirs(t, outside, "bin")
				writeFile(t, filepath.Join(outside, "bin/osm"), "host's osm\n", 0o755)
				hostBefore := snapshot(t, outside)
				img := t.TempDir()
				target, inImage := link(outside)
				symlink(t, target, filepath.Join(img, "LuoYun"))
				r := run(t, img)
				if r.code != 0 || !strings.Contains(r.out, "upgrade success") {
					t.Fatalf("upgrade = exit %d:\n%s", r.code, r.out)
				}
				if d := cmp.Diff(hostBefore, snapshot(t, outside)); d != "" {
					t.Errorf("the host's %s changed (-before +after):\n%s", outside, d)
				}
				tree := filepath.Join(img, inImage)
				if _, err := os.Stat(filepath.Join(tree, "bin/osc")); err != nil {
					t.Errorf("the tree is not at %s inside the image: %v\n%s", inImage, err, r.out)
				}
				if l, _ := os.Readlink(filepath.Join(img, "LuoYun")); l != target {
					t.Errorf("the image's link now points at %q", l)
				}
			})
		}
	}
	t.Run("DEST alone", func(t *testing.T) {
		outside := t.TempDir()
		img := t.TempDir()
		symlink(t, outside, filepath.Join(img, "LuoYun"))
		before, imgBefore := snapshot(t, outside), snapshot(t, img)
		r := runScript(t, nil, upgrade, filepath.Join(img, "LuoYun"))
		lines := strings.Split(strings.TrimSpace(r.out), "\n")
		if r.code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "upgrade failed: ") || !strings.Contains(lines[0], "symbolic link") {
			t.Errorf("upgrade.sh IMG/LuoYun with LuoYun a link = exit %d, want 1 and one line:\n%s", r.code, r.out)
		}
		if d := cmp.Diff(before, snapshot(t, outside)); d != "" {
			t.Errorf("the link's target changed:\n%s", d)
		}
		if d := cmp.Diff(imgBefore, snapshot(t, img)); d != "" {
			t.Errorf("the image changed:\n%s", d)
		}
	})
}
