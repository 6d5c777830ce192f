package install

import (
	"fmt"
	"io"

	"github.com/luoyun/osmanager/pkg/atomicfile"
)

// SettingsPath is the settings file's place in the tree.
const SettingsPath = "custom/osmanager.toml"

// writeSettings writes the shipped settings file into the tree at dir
// when it has none; an existing one (the builder's) is never touched.
func writeSettings(t target, dir string, sample []byte, out io.Writer) error {
	if len(sample) == 0 || t.exists(dir+"/"+SettingsPath) {
		return nil
	}
	if _, ok := t.dir(dir + "/custom"); !ok {
		res, err := t.Resolve(rel(dir + "/custom"))
		if err == nil {
			err = t.OS().Mkdir(res, 0o755)
		}
		if err != nil {
			return fmt.Errorf("cannot create %s: %w", t.Path(rel(dir+"/custom")), unwrap(err))
		}
	}
	p := rel(dir + "/" + SettingsPath)
	if _, err := t.Write(p, sample, atomicfile.Options{Mode: 0o644}); err != nil {
		return fmt.Errorf("cannot write %s: %w", t.Path(p), err)
	}
	fmt.Fprintf(out, "created %s (every setting at its default, commented out)\n", t.Path(p))
	return nil
}
