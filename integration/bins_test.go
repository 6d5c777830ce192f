package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/luoyun/osmanager/internal/buildtags"
)

// The five binaries of the OS manager.
var binaries = []string{"floppyconf", "osc", "osm", "web", "webssh"}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// binDir returns the directory holding the five binaries: $LUOYUN_BIN
// (set by make test), or a directory they are built into once per run.
func binDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("LUOYUN_BIN"); d != "" {
		for _, b := range binaries {
			if _, err := os.Stat(filepath.Join(d, b)); err != nil {
				t.Fatalf("LUOYUN_BIN=%s: %v", d, err)
			}
		}
		return d
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "luoyun-integration-bin")
		if buildErr != nil {
			return
		}
		for _, b := range binaries {
			cmd := exec.Command("go", append(append([]string{"build"}, buildtags.Args()...), "-o", filepath.Join(buildDir, b), "./cmd/"+b)...)
			cmd.Dir = repoRoot(t)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", b, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
