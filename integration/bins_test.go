package integration

import (
	"os"
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
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
