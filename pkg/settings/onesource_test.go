package settings

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDefaultsInOnePlace: no code outside this package writes a default
// of the settings file again (a port, a path): the
// components take the values from Settings.
func TestDefaultsInOnePlace(t *testing.T) {
	d := Defaults()
	ints := map[string]bool{strconv.Itoa(d.Web.Port): true, strconv.Itoa(d.WebSSH.Port): true}
	// (Not the login command: /bin/login is also the program the login
	// front hands over to, a name in its own right.)
	strs := map[string]bool{d.OSM.StateFile: true, d.Floppy.Device: true}
	for _, dir := range []string{"../../pkg", "../../cmd"} {
		err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() && (path == "../../pkg/settings" || e.Name() == "testdata" || e.Name() == "node_modules") {
				return filepath.SkipDir
			}
			if e.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok {
					return true
				}
				v := lit.Value
				if lit.Kind == token.STRING {
					v, _ = strconv.Unquote(v)
				}
				if (lit.Kind == token.INT && ints[v]) || (lit.Kind == token.STRING && strs[v]) {
					t.Errorf("%s: the settings' default %s written again; take it from settings", fset.Position(lit.Pos()), lit.Value)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
