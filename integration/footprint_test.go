package integration

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/luoyun/osmanager/internal/testbin"
)

// TestNoHTTPOutsideServers checks that the commands which serve no HTTP
// link neither net/http nor crypto/tls: package zap imports net/http, and
// a linked package keeps its initialisers, about 1.5 MB of floppyconf and
// 0.8 MB of osc (docs/integration.md, "Idle memory"). They log through
// pkg/zlog instead.
func TestNoHTTPOutsideServers(t *testing.T) {
	for _, c := range []string{"floppyconf", "osc"} {
		cmd := exec.Command("go", "list", "-tags", testbin.Tags, "-deps", "./cmd/"+c)
		cmd.Dir = repoRoot(t)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", c, err)
		}
		for _, p := range strings.Fields(string(out)) {
			switch p {
			case "net/http", "crypto/tls", "go.uber.org/zap":
				t.Errorf("cmd/%s links %s", c, p)
			}
		}
	}
}
