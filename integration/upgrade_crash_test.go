package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// renameCall is a rename system call's first line in strace's output.
var renameCall = regexp.MustCompile(`(?m)^\d+\s+(rename|renameat|renameat2)\(`)

// backupName is a backup directory's stamp, which differs between runs.
var backupName = regexp.MustCompile(`backup-\d{8}-\d{6}(\.[A-Za-z0-9]+)?`)

// normalized is snap with every backup's stamp made the same.
func normalized(snap map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range snap {
		out[backupName.ReplaceAllString(k, "backup-X")] = v
	}
	return out
}

// treeOnly is what the tree that boots holds: snap under LuoYun/ without
// its backups and the switch's journal.
func treeOnly(snap map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range subtree(snap, "LuoYun") {
		if strings.HasPrefix(k, "LuoYun/backup-") || k == "LuoYun/.upgrade-journal" {
			continue
		}
		out[k] = v
	}
	return out
}

// straced runs argv under strace, counting the rename system calls of
// every thread and child, whatever makes them.
func straced(t *testing.T, strace string, env []string, argv ...string) (result, int) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "strace.log")
	r := runScript(t, env, append([]string{strace, "-f", "-qq", "-o", log, "-e", "trace=rename,renameat,renameat2"}, argv...)...)
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	return r, len(renameCall.FindAllIndex(data, -1))
}

// TestUpgradeCrash cuts an upgrade of an original tree by SIGKILL right
// after each of its renames in turn, counted as the kernel sees them
// (strace: every rename, renameat and renameat2 of every thread). The cut
// after the Nth rename must come with exactly N renames in the trace, so
// that no rename escapes the count. After each cut the tree that boots is
// the old one whole or the new one whole, and a second run leaves the
// image exactly as an upgrade that was never cut. The same for the way
// of a file system that cannot exchange (the tree is missing for a
// moment there; the second run still ends it the same).
func TestUpgradeCrash(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace not installed")
	}
	dist := t.TempDir()
	if r := runScript(t, []string{"MAKEFLAGS="}, makeArgs(t, "stage", "STAGE="+filepath.Join(dist, "LuoYun"))...); r.code != 0 {
		t.Fatalf("make stage = exit %d:\n%s", r.code, r.out)
	}
	upgrade := filepath.Join(dist, "LuoYun/upgrade.sh")
	for _, way := range []struct {
		name  string
		env   []string
		whole bool
	}{
		{"exchange", nil, true},
		{"no exchange", []string{"LUOYUN_TEST_NO_EXCHANGE=1"}, false},
	} {
		t.Run(strings.ReplaceAll(way.name, " ", "_"), func(t *testing.T) {
			ref := originalRoot(t)
			old := treeOnly(snapshot(t, ref))
			r, total := straced(t, strace, way.env, upgrade, filepath.Join(ref, "LuoYun"))
			if r.code != 0 || !strings.Contains(r.out, "upgrade success") {
				t.Fatalf("upgrade = exit %d:\n%s", r.code, r.out)
			}
			if way.whole != !strings.Contains(r.out, "cannot exchange two directories") {
				t.Errorf("the fallback line, want it %v:\n%s", !way.whole, r.out)
			}
			want := normalized(snapshot(t, ref))
			t.Logf("%s: %d renames", way.name, total)
			if total < 1 {
				t.Fatalf("strace saw no rename")
			}
			for n := 1; n <= total; n++ {
				root := originalRoot(t)
				env := append([]string{"LUOYUN_TEST_CUT_AFTER_RENAME=" + strconv.Itoa(n)}, way.env...)
				r, got := straced(t, strace, env, upgrade, filepath.Join(root, "LuoYun"))
				if r.code == 0 || strings.Contains(r.out, "upgrade success") {
					t.Fatalf("cut after rename %d: the upgrade was not cut:\n%s", n, r.out)
				}
				if got != n {
					t.Errorf("cut after rename %d: strace saw %d renames: a rename escapes the count", n, got)
				}
				now := treeOnly(snapshot(t, root))
				switch {
				case cmp.Equal(now, old):
				case cmp.Equal(normalized(now), treeOnly(want)):
				case !way.whole && len(now) == 0:
				default:
					t.Errorf("cut after rename %d: the tree is neither the old one nor the new one (-old +now):\n%s\n(-new +now):\n%s", n, cmp.Diff(old, now), cmp.Diff(treeOnly(want), normalized(now)))
				}
				r = runScript(t, nil, upgrade, filepath.Join(root, "LuoYun"))
				if r.code != 0 || !strings.Contains(r.out, "upgrade success") {
					t.Fatalf("cut after rename %d: second run = exit %d:\n%s", n, r.code, r.out)
				}
				if d := cmp.Diff(want, normalized(snapshot(t, root))); d != "" {
					t.Errorf("cut after rename %d: after the second run (-uncut +got):\n%s\n%s", n, d, r.out)
				}
			}
		})
	}
}
