package treecmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	f, err := parse("x.sh", []string{"--root", "/img", "--init=sysv", "--force", "DEST"}, []string{"--root", "--init"}, []string{"--force"})
	if err != nil || f.values["--root"] != "/img" || f.values["--init"] != "sysv" || !f.set["--force"] || !cmp.Equal(f.args, []string{"DEST"}) {
		t.Errorf("parse = %+v, %v", f, err)
	}
	for _, bad := range [][]string{{"--root"}, {"--bogus"}} {
		if _, err := parse("x.sh", bad, []string{"--root"}, nil); err == nil {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}

func TestLocate(t *testing.T) {
	root := t.TempDir()
	tree := filepath.Join(root, "opt/ly")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(tree, filepath.Join(root, "ly")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ tree, env, want string }{
		{tree, "", "/opt/ly"},
		{filepath.Join(root, "ly"), "", "/ly"}, // the image's link, followed inside it later
		{tree, "/LuoYun", "/LuoYun"},
	} {
		_, got, err := locate(tt.tree, root, tt.env, true)
		if err != nil || got != tt.want {
			t.Errorf("locate(%s, env %q) = %q, %v; want %q", tt.tree, tt.env, got, err, tt.want)
		}
	}
	if _, _, err := locate(t.TempDir(), root, "", true); err == nil {
		t.Errorf("a tree outside the root was accepted")
	}
	if _, _, err := locate(tree, root, "relative", true); err == nil {
		t.Errorf("a relative LUOYUN_DIR was accepted")
	}
}

func TestFirstLink(t *testing.T) {
	d := t.TempDir()
	if err := os.Symlink(d, filepath.Join(d, "l")); err != nil {
		t.Fatal(err)
	}
	if got := firstLink(filepath.Join(d, "l/x/y")); got != filepath.Join(d, "l") {
		t.Errorf("firstLink = %q", got)
	}
	if got := firstLink(filepath.Join(d, "x/y")); got != "" {
		t.Errorf("firstLink without a link = %q", got)
	}
}

func TestUpgradeDestInsideImage(t *testing.T) {
	img := t.TempDir()
	var out strings.Builder
	err := runUpgrade([]string{"--tree", t.TempDir(), "--root", img, filepath.Join(img, "LuoYun")}, &out)
	if _, ok := err.(usageError); !ok || !strings.Contains(err.Error(), "/LuoYun, not "+img) {
		t.Errorf("upgrade --root IMG IMG/LuoYun = %v, want a usage error naming /LuoYun", err)
	}
}
