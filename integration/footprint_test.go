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

// TestFloppyconfLinksNoCrypto checks that floppyconf links no crypto:
// nothing it does is secret, and crypto/rand alone (once used by
// pkg/atomicfile for temp-file names) brings the FIPS module's DRBG,
// AES-GCM, SHA-2/3, HMAC and math/big, 0.16 MB of the stripped binary
// (docs/integration.md, "Idle memory"). Temp-file names come from
// math/rand/v2; O_EXCL and flock make them safe, not their secrecy.
func TestFloppyconfLinksNoCrypto(t *testing.T) {
	cmd := exec.Command("go", "list", "-tags", testbin.Tags, "-deps", "./cmd/floppyconf")
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list floppyconf: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "crypto" || strings.HasPrefix(p, "crypto/") || p == "math/big" || strings.HasPrefix(p, "golang.org/x/crypto/") {
			t.Errorf("cmd/floppyconf links %s", p)
		}
	}
}
