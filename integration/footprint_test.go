package integration

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/testbin"
)

// TestNoHTTPOutsideServers checks that the commands which serve no HTTP
// (floppyconf, osc, osm with its `osm clc` simulator) link neither
// net/http nor crypto/tls, and that no command links package zap:
// package zap imports net/http, and a linked package keeps its
// initialisers, about 1.5 MB of floppyconf, 0.8 MB of osc and 1 MB of
// osm's PSS (docs/integration.md, "Idle memory"). They log through
// pkg/logging, which uses zapcore only.
func TestNoHTTPOutsideServers(t *testing.T) {
	for _, c := range []string{"floppyconf", "osc", "osm"} {
		for p := range deps(t, "./cmd/"+c) {
			switch p {
			case "net/http", "crypto/tls", "go.uber.org/zap":
				t.Errorf("cmd/%s links %s", c, p)
			}
		}
	}
	// The servers link net/http for themselves, but not through zap:
	// every command, cmd/luoyun included, logs without package zap.
	all := deps(t, "./cmd/...")
	for _, p := range slices.Sorted(maps.Keys(all)) {
		if slices.Contains(all[p], "go.uber.org/zap") {
			t.Errorf("%s imports go.uber.org/zap", p)
		}
	}
}

// deps returns each package the packages pkgs link (go list -deps, with
// the shipped binaries' build tags), with the packages it imports.
func deps(t *testing.T, pkgs ...string) map[string][]string {
	t.Helper()
	args := append([]string{"list", "-tags", testbin.Tags, "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", strings.Join(pkgs, " "), err)
	}
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 {
			m[f[0]] = f[1:]
		}
	}
	if len(m) == 0 {
		t.Fatalf("go list %s listed no packages", strings.Join(pkgs, " "))
	}
	return m
}

// TestFloppyconfLinksNoCrypto checks that floppyconf links no crypto:
// nothing it does is secret, and crypto/rand alone (once used by
// pkg/atomicfile for temp-file names) brings the FIPS module's DRBG,
// AES-GCM, SHA-2/3, HMAC and math/big, 0.16 MB of the stripped binary
// (docs/integration.md, "Idle memory"). Temp-file names come from
// math/rand/v2; O_EXCL and flock make them safe, not their secrecy.
func TestFloppyconfLinksNoCrypto(t *testing.T) {
	for p := range deps(t, "./cmd/floppyconf") {
		if p == "crypto" || strings.HasPrefix(p, "crypto/") || p == "math/big" || strings.HasPrefix(p, "golang.org/x/crypto/") {
			t.Errorf("cmd/floppyconf links %s", p)
		}
	}
}

// TestMakeInlining checks which commands `make build` builds without
// inlining: floppyconf and osc (smaller, and they run once per boot for a
// few milliseconds) and osm (mostly asleep); web only for the crypto it
// links through net/http and never runs (TLS, certificates, public keys),
// while what serves a request (net/http, the cookie check's SHA-256,
// pkg/webpage) stays inlined; webssh and the one binary (MULTICALL=1)
// entirely inlined.
func TestMakeInlining(t *testing.T) {
	cmds := func(args ...string) map[string]string { return makeBuildLines(t, args...) }
	const mod = "github.com/luoyun/osmanager/"
	hot := []string{"runtime", "net", "net/http", "crypto/sha256", "crypto/internal/fips140/sha256", "crypto/subtle", mod + "pkg/webpage"}
	cold := []string{"crypto/tls", "crypto/x509", "crypto/rsa", "crypto/internal/fips140/nistec", "math/big", "vendor/golang.org/x/crypto/chacha20poly1305"}
	five := cmds("build")
	for c, noInline := range map[string][]string{
		"floppyconf": append(hot, cold...),
		"osc":        append(hot, cold...),
		"osm":        append(hot, cold...),
		"web":        cold,
		"webssh":     nil,
	} {
		l, ok := five[c]
		if !ok {
			t.Errorf("make build does not build cmd/%s", c)
			continue
		}
		for _, p := range append(hot, cold...) {
			want := slices.Contains(noInline, p)
			if got := strings.Contains(gcflagsFor(l, p), "-l"); got != want {
				t.Errorf("cmd/%s: package %s built without inlining: %v, want %v:\n%s", c, p, got, want, l)
			}
		}
	}
	l, ok := cmds("build", "MULTICALL=1")["luoyun"]
	if !ok || strings.Contains(l, "-gcflags") {
		t.Errorf("make build MULTICALL=1 must build cmd/luoyun inlined, got:\n%s", l)
	}
}

// makeBuildLines returns the go build command line `make -n ARGS` runs
// for each cmd/NAME, by NAME.
func makeBuildLines(t *testing.T, args ...string) map[string]string {
	t.Helper()
	cmd := exec.Command("make", append([]string{"-n", "-B", "-s", "--no-print-directory"}, args...)...) // -B: up-to-date binaries too
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make -n %s: %v", strings.Join(args, " "), err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if i := strings.LastIndex(l, " ./cmd/"); i >= 0 && strings.Contains(l, " build ") {
			m[l[i+len(" ./cmd/"):]] = l
		}
	}
	return m
}

// TestMakeSpanSets: every shipped binary, in both flavours, is built
// with the runtime's smaller span sets (internal/tools/spansets).
func TestMakeSpanSets(t *testing.T) {
	lines := makeBuildLines(t, "build")
	for c, l := range makeBuildLines(t, "build", "MULTICALL=1") {
		lines[c] = l
	}
	for _, c := range []string{"floppyconf", "osc", "osm", "web", "webssh", "luoyun"} {
		l, ok := lines[c]
		if !ok {
			t.Errorf("make build does not build cmd/%s", c)
		} else if !strings.Contains(l, " -overlay ") || !strings.Contains(l, "/bin/.spansets/overlay.json") {
			t.Errorf("cmd/%s is not built with the span sets overlay:\n%s", c, l)
		}
	}
}

// gcflagsFor returns the compiler flags the go command line l gives
// package pkg: those of the last -gcflags=[PATTERN=]FLAGS whose pattern
// matches ("all", a path, or a path ending in "/..."); no pattern means
// the packages named on the command line, here only the main package.
func gcflagsFor(l, pkg string) string {
	flags := ""
	for _, f := range strings.Fields(l) {
		v, ok := strings.CutPrefix(f, "-gcflags=")
		if !ok {
			continue
		}
		pat, fl, ok := strings.Cut(v, "=")
		if !ok {
			continue // no pattern: the main package only
		}
		base, tree := strings.CutSuffix(pat, "/...")
		if pat == "all" || pat == pkg || tree && (pkg == base || strings.HasPrefix(pkg, base+"/")) {
			flags = fl
		}
	}
	return flags
}

// TestFootprintFigures checks the figures BenchmarkIdleRSS reports, on
// both flavours, with the chain started as osmanager.sh starts it: each
// daemon's PSS, anonymous memory and page tables are read and within its
// RSS; bin/
// counts each file once and links not at all (five binaries: the five
// files; one binary: luoyun alone); and in the one binary, whose three
// daemons map the same file, PSS counts the shared pages once, so the
// sum is below the RSS sum.
func TestFootprintFigures(t *testing.T) {
	for _, f := range flavours {
		t.Run(f.name, func(t *testing.T) {
			bin := f.dir(t)
			s := newSandbox(t, 5*time.Second, func(s *sandbox) { s.bin = bin })
			m := s.clc.mark()
			if r := s.osmanager(t, "start"); r.code != 0 {
				t.Fatalf("osmanager.sh start = exit %d:\n%s", r.code, r.out)
			}
			defer s.osmanager(t, "stop")
			if _, _, ok := s.clc.wait(m, 10*time.Second, fmt.Sprintf("report tag=%d status=2000", e2eTag)); !ok {
				t.Fatal("no report 2000")
			}
			fp := measureFootprint(t, s)
			for _, n := range daemons {
				p := fp.procs[n]
				if p["Pss"] <= 0 || p["Pss"] > p["Rss"] || p["Anonymous"] <= 0 || p["Anonymous"] > p["Rss"] {
					t.Errorf("%s: Rss %d kB, Pss %d kB, Anonymous %d kB: want 0 < Pss <= Rss and 0 < Anonymous <= Rss", n, p["Rss"], p["Pss"], p["Anonymous"])
				}
				if p["VmPTE"] <= 0 || p["VmPTE"] > p["Rss"] {
					t.Errorf("%s: VmPTE %d kB, Rss %d kB: want 0 < VmPTE <= Rss", n, p["VmPTE"], p["Rss"])
				}
			}
			var want int64
			names := binaries
			if f.multicall {
				names = []string{testbin.MulticallName}
			}
			for _, n := range names {
				fi, err := os.Lstat(filepath.Join(s.tree, "bin", n))
				if err != nil {
					t.Fatal(err)
				}
				want += fi.Size()
			}
			if fp.diskBytes != want {
				t.Errorf("bin/ on disk = %d bytes, want %d (%s, each once)", fp.diskBytes, want, strings.Join(names, ", "))
			}
			if f.multicall && fp.pssKB >= fp.rssKB {
				t.Errorf("one binary: PSS %d kB >= RSS %d kB: the daemons' shared pages are not counted once", fp.pssKB, fp.rssKB)
			}
			t.Logf("anonymous %d kB + page tables %d kB; PSS %d kB, RSS %d kB, bin/ %d bytes", fp.anonKB, fp.pteKB, fp.pssKB, fp.rssKB, fp.diskBytes)
		})
	}
}

// TestIdlePoints: LUOYUN_IDLE, BenchmarkIdleRSS's points, and the names
// its metrics take.
func TestIdlePoints(t *testing.T) {
	for _, tt := range []struct {
		in, want string // want: the metric names, or "" for an error
	}{
		{"", "5m 10m"},
		{"30s", "30s"},
		{"1m, 90s,2m", "1m 1m30s 2m"},
		{"1.5s", "1_5s"},
		{"2m,1m", ""},
		{"1m,1m", ""},
		{"soon", ""},
		{"1m,", ""},
		{"-1s", ""},
	} {
		points, err := idlePoints(tt.in)
		var names []string
		for _, p := range points {
			names = append(names, pointName(p))
		}
		if got := strings.Join(names, " "); got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("idlePoints(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestNoRegexp: no command links regexp. In the one binary every daemon
// runs the initialisers of every linked package, and regexp's bring
// unicode's tables, 11 kB of each daemon's heap (14 kB with
// regexp/syntax's, docs/integration.md "Idle memory"); our two checks
// that used it are written out.
func TestNoRegexp(t *testing.T) {
	all := deps(t, "./cmd/...")
	for _, p := range slices.Sorted(maps.Keys(all)) {
		if slices.Contains(all[p], "regexp") {
			t.Errorf("%s imports regexp", p)
		}
	}
}

// TestInitAllocations: in the one binary every daemon runs every
// command's package initialisers, and what they allocate stays in its
// heap; none of ours allocates more than 2 kB at start (a regular
// expression compiled there took 18 kB: they are compiled at first use).
func TestInitAllocations(t *testing.T) {
	const mod = "github.com/luoyun/osmanager/"
	cmd := exec.Command(filepath.Join(multicallDir(t), "osm"), "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("osm --version: %v\n%s", err, out)
	}
	seen := 0
	for _, l := range strings.Split(string(out), "\n") {
		// init PKG @0.1 ms, 0.01 ms clock, 1224 bytes, 12 allocs
		f := strings.Fields(l)
		if len(f) < 11 || f[0] != "init" || !strings.HasPrefix(f[1], mod) || f[8] != "bytes," {
			continue
		}
		seen++
		if n, err := strconv.Atoi(f[7]); err != nil || n > 2048 {
			t.Errorf("%s allocates %s bytes at start, want at most 2048", f[1], f[7])
		}
	}
	if seen == 0 {
		t.Fatalf("no init lines of %s... in:\n%s", mod, out)
	}
}
