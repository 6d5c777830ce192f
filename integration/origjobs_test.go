package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOriginalJobsWrapped: original jobs that start their programs
// through python or sh are recognised by the upgrade (its "next:" line)
// and by install.sh (replaced without --force) alike; a foreign job that
// --force replaces is saved in the tree's backup directory first.
func TestOriginalJobsWrapped(t *testing.T) {
	dist := t.TempDir()
	if r := runScript(t, []string{"MAKEFLAGS="}, makeArgs(t, "stage", "STAGE="+filepath.Join(dist, "LuoYun"))...); r.code != 0 {
		t.Fatalf("make stage = exit %d:\n%s", r.code, r.out)
	}
	for name, job := range map[string]string{
		"osconfig.conf": "start on stopped rc RUNLEVEL=[345]\ntask\nexec python /LuoYun/bin/pyosc/osconfig.py\n",
		"osm.conf":      "start on stopped luoyun/osconfig\nrespawn\nscript\n  /usr/bin/python2 -u /LuoYun/bin/pyosm/lyosm.py\nend script\n",
		"webssh.conf":   "start on stopped luoyun/osconfig\nrespawn\nexec sh /LuoYun/bin/webssh/run.sh\n",
	} {
		t.Run(name, func(t *testing.T) {
			root := originalRoot(t)
			jobs := filepath.Join(root, "etc/init/luoyun")
			os.RemoveAll(jobs)
			mkdirs(t, jobs, ".")
			writeFile(t, filepath.Join(jobs, name), job, 0o644)
			r := runScript(t, nil, filepath.Join(dist, "LuoYun/upgrade.sh"), filepath.Join(root, "LuoYun"))
			if r.code != 0 || !strings.Contains(r.out, "next: run install.sh") {
				t.Fatalf("upgrade over a wrapped original %s = exit %d, want a next: line:\n%s", name, r.code, r.out)
			}
			r = runScript(t, nil, filepath.Join(root, "LuoYun/install.sh"), "--root", root, "--init", "upstart")
			if r.code != 0 || !strings.Contains(r.out, "installed /etc/init/luoyun/"+name+" (replaced the original's)") {
				t.Fatalf("install.sh over a wrapped original %s = exit %d:\n%s", name, r.code, r.out)
			}
			checkEntries(t, root, "upstart", "/LuoYun")
		})
	}
	t.Run("forced over a foreign job", func(t *testing.T) {
		root := originalRoot(t)
		makeInstallTree(t, filepath.Join(root, "LuoYun"))
		foreign := "start on runlevel [2345]\nexec python /usr/local/bin/mydaemon.py\n"
		writeFile(t, filepath.Join(root, "etc/init/luoyun/osm.conf"), foreign, 0o644)
		r := runScript(t, nil, filepath.Join(root, "LuoYun/install.sh"), "--root", root, "--init", "upstart")
		if r.code != 1 || !strings.Contains(r.out, "osm.conf exists and was not installed by install.sh") {
			t.Fatalf("install.sh over a foreign osm.conf = exit %d, want 1:\n%s", r.code, r.out)
		}
		r = runScript(t, nil, filepath.Join(root, "LuoYun/install.sh"), "--root", root, "--init", "upstart", "--force")
		m := regexp.MustCompile(`installed /etc/init/luoyun/osm.conf \(the one it replaced is in (\S+)\)`).FindStringSubmatch(r.out)
		if r.code != 0 || m == nil {
			t.Fatalf("install.sh --force = exit %d, want a line naming the saved job:\n%s", r.code, r.out)
		}
		if data, err := os.ReadFile(m[1]); err != nil || string(data) != foreign {
			t.Errorf("the saved job %s: %q, %v", m[1], data, err)
		}
		if !strings.HasPrefix(m[1], filepath.Join(root, "LuoYun/backup-")) {
			t.Errorf("the saved job is not in the tree's backup directory: %s", m[1])
		}
	})
}
