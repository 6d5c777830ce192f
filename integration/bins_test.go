package integration

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/luoyun/osmanager/internal/testbin"
)

// The five binaries of the OS manager.
var binaries = testbin.Components

var (
	buildOnce sync.Once
	buildDir  string // made by binDir, removed by TestMain
	binPath   string // what binDir returns
	buildErr  error
)

// binDir returns the directory holding the five binaries: $LUOYUN_BIN
// (set by make test), or a directory they are built into once per run.
func binDir(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		tmp := ""
		if os.Getenv("LUOYUN_BIN") == "" {
			if buildDir, buildErr = os.MkdirTemp("", "luoyun-integration-bin"); buildErr != nil {
				return
			}
			tmp = buildDir // removed by TestMain
		}
		binPath, buildErr = testbin.Dir(repoRoot(t), tmp, binaries...)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range []string{buildDir, mcBuildDir} {
		if d != "" {
			os.RemoveAll(d)
		}
	}
	os.Exit(code)
}

// copyBins makes the directory to and copies the five binaries of from
// into it, each with one write call. A binary that is a symbolic link
// within from (the one-binary flavour: osm -> luoyun) stays a link, to a
// copy of its target made once, so that the daemons share one file as
// they do in an installed tree.
func copyBins(t testing.TB, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	copied := map[string]bool{}
	cp := func(name string) {
		if copied[name] {
			return
		}
		copied[name] = true
		data, err := os.ReadFile(filepath.Join(from, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range binaries {
		target, err := os.Readlink(filepath.Join(from, b))
		if err != nil {
			cp(b) // a regular file
			continue
		}
		if filepath.IsAbs(target) || strings.Contains(target, "/") {
			t.Fatalf("%s/%s links to %s, outside its directory", from, b, target)
		}
		cp(target)
		if err := os.Symlink(target, filepath.Join(to, b)); err != nil {
			t.Fatal(err)
		}
	}
}

// multicallDir returns a directory holding the one-binary flavour
// (luoyun and the five links to it): $LUOYUN_MULTICALL_BIN, or $LUOYUN_BIN
// when that is one (make test's second run), or one built once per run.
func multicallDir(t testing.TB) string {
	t.Helper()
	mcOnce.Do(func() {
		for _, e := range []string{"LUOYUN_MULTICALL_BIN", "LUOYUN_BIN"} {
			if d := os.Getenv(e); d != "" {
				if _, err := os.Stat(filepath.Join(d, testbin.MulticallName)); err == nil {
					mcPath = d
					return
				}
			}
		}
		if mcBuildDir, mcErr = os.MkdirTemp("", "luoyun-integration-multicall"); mcErr != nil {
			return
		}
		mcPath, mcErr = mcBuildDir, testbin.BuildMulticall(repoRoot(t), mcBuildDir)
	})
	if mcErr != nil {
		t.Fatal(mcErr)
	}
	return mcPath
}

var (
	mcOnce     sync.Once
	mcBuildDir string // made by multicallDir, removed by TestMain
	mcPath     string
	mcErr      error
)
