package integration

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestErrorLines (issue #14.6): representative mistakes, per binary, and
// the exact line a person reads: the file, line and key when there are
// some, no Go internals, no doubled prefix, the right --help.
func TestErrorLines(t *testing.T) {
	bin := binDir(t)
	dir := t.TempDir()
	w := func(name, text string) string {
		p := filepath.Join(dir, name)
		mustWrite(t, p, text, 0o600)
		return p
	}
	mustMkdir(t, filepath.Join(dir, "empty"))
	okConf := w("ok.conf", "CLC_IP=127.0.0.1\nCLC_PORT=1\nTAG=7\nKEY=k3y-9f8e7d6c5b\n")
	badTag := w("tag.conf", "CLC_IP=127.0.0.1\nTAG=abc\nKEY=k3y-9f8e7d6c5b\n")
	keyTag := w("keytag.conf", "CLC_IP=127.0.0.1\nTAG=k3y-9f8e7d6c5b\nKEY=k3y-9f8e7d6c5b\n")
	noTag := w("notag.conf", "CLC_IP=127.0.0.1\nKEY=k3y-9f8e7d6c5b\n")
	typo := w("typo.toml", "[webssh]\nmax_sesions = 3\n")
	webBad := w("web.toml", "[web]\nport = 99999\n")
	notToml := w("bad.toml", "[osm\n")
	none := w("none.toml", "")
	mustMkdir(t, filepath.Join(dir, "fl"))
	mustWrite(t, filepath.Join(dir, "fl", "luoyun.ini"), "TAG=1\nKEY=k3y-9f8e7d6c5b\nJSON=(null)\n", 0o600)
	log := filepath.Join(dir, "x.log")
	tests := []struct {
		name string
		argv []string
		code int
		want string // the whole of stderr, DIR standing for the temp dir
	}{
		{"floppyconf no ini", []string{"floppyconf", "-d", filepath.Join(dir, "empty"), "-c", filepath.Join(dir, "o.conf"), "--settings", none}, 1,
			"floppyconf: read floppy: DIR/empty: no luoyun.ini in the root directory\n"},
		{"floppyconf JSON=(null)", []string{"floppyconf", "-d", filepath.Join(dir, "fl"), "-c", filepath.Join(dir, "o.conf"), "--settings", none}, 0,
			"floppyconf: warning: luoyun.ini line 3: JSON: not valid JSON at character 1; nothing from it is applied\n"},
		{"floppyconf bad wait", []string{"floppyconf", "--wait", "soon"}, 2,
			"floppyconf: --wait: \"soon\" is not a duration (write it like \"5s\" or \"1m\")\nTry 'floppyconf --help' for more information.\n"},
		{"floppyconf settings not TOML", []string{"floppyconf", "-d", filepath.Join(dir, "empty"), "-c", filepath.Join(dir, "o.conf"), "--settings", notToml}, 1,
			"floppyconf: warning: DIR/bad.toml line 1: not valid TOML: expected '.' or ']' to end table name, but got '\\n' instead; going on with the built-in defaults\n" +
				"floppyconf: read floppy: DIR/empty: no luoyun.ini in the root directory\n"},
		{"osc missing conf", []string{"osc", "-c", filepath.Join(dir, "nope.conf"), "--settings", none}, 1,
			"osc: cannot read the instance configuration DIR/nope.conf: no such file or directory\n"},
		{"osc root missing", []string{"osc", "-c", okConf, "--root", filepath.Join(dir, "nope"), "--settings", none}, 1,
			"osc: --root DIR/nope: no such file or directory\n"},
		{"osm TAG not a number", []string{"osm", "-c", badTag, "-l", log, "--settings", none}, 1,
			"osm: DIR/tag.conf line 2: TAG: \"abc\" is not a number\n"},
		{"osm TAG is the KEY", []string{"osm", "-c", keyTag, "-l", log, "--settings", none}, 1,
			"osm: DIR/keytag.conf line 2: TAG: not a number\n"},
		{"osm no TAG", []string{"osm", "-c", noTag, "-l", log, "--settings", none}, 1,
			"osm: luoyun.conf: TAG is missing\n"},
		{"osm settings typo elsewhere, own not TOML", []string{"osm", "-c", okConf, "-l", log, "--settings", notToml}, 1,
			"osm: DIR/bad.toml line 1: not valid TOML: expected '.' or ']' to end table name, but got '\\n' instead\n"},
		{"osm clc bad reply", []string{"osm", "clc", "-c", okConf, "--reply", "7"}, 2,
			"osm clc: --reply must be 1021 or 1022\nTry 'osm clc --help' for more information.\n"},
		{"osm clc bad listen", []string{"osm", "clc", "-c", okConf, "--listen", "bogus"}, 1,
			"osm clc: cannot listen on bogus: missing port in address\n"},
		{"web own section", []string{"web", "-c", okConf, "-l", log, "--settings", webBad}, 1,
			"web: DIR/web.toml line 2: [web] port: must be a port 1..65535, got 99999\n"},
		{"web bad port argument", []string{"web", "abc"}, 2,
			"web: PORT must be a number 1..65535, got \"abc\"\nTry 'web --help' for more information.\n"},
		{"web port flag", []string{"web", "-p", "abc"}, 2,
			"web: -p/--port: \"abc\" is not a whole number\nTry 'web --help' for more information.\n"},
		{"webssh own section", []string{"webssh", "-c", okConf, "-l", log, "--settings", typo}, 1,
			"webssh: DIR/typo.toml line 2: [webssh] max_sesions: unknown key; did you mean max_sessions?\n"},
		{"osm log dir impossible", []string{"osm", "-c", okConf, "-l", "/proc/nope/o.log", "--settings", none}, 1,
			"osm: cannot create the log file /proc/nope/o.log: no such file or directory\n"},
		{"osm conf is a directory", []string{"osm", "-c", dir, "-l", log, "--settings", none}, 1,
			"osm: cannot read the instance configuration DIR: is a directory\n"},
		{"osm clc TAG not a number", []string{"osm", "clc", "-c", badTag}, 1,
			"osm clc: DIR/tag.conf line 2: TAG: \"abc\" is not a number\n"},
		{"webssh bad port", []string{"webssh", "-p", "70000"}, 2,
			"webssh: -p/--port must be 1..65535, got 70000\nTry 'webssh --help' for more information.\n"},
	}
	internals := regexp.MustCompile(`strconv\.|json: |toml: |\bopen /|listen tcp|lyconf\.|\*|0x[0-9a-f]`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(bin, tt.argv[0]), tt.argv[1:]...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			got := strings.ReplaceAll(stderr.String(), dir, "DIR")
			if code != tt.code || got != tt.want {
				t.Errorf("%q: exit %d, stderr\n%s\nwant exit %d, stderr\n%s", tt.argv, code, got, tt.code, tt.want)
			}
			for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
				name := tt.argv[0] + ": "
				if strings.Count(l, name) > 1 || internals.MatchString(l) {
					t.Errorf("line %q repeats its name or shows internals", l)
				}
			}
		})
	}
	// osmanager.sh names the mistake.
	r := runScript(t, []string{"LUOYUN_DIR=" + dir}, filepath.Join(repoRoot(t), "osmanager.sh"), "bogus")
	if r.code != 2 || !strings.HasPrefix(r.out, "osmanager.sh: unknown command 'bogus'\n") {
		t.Errorf("osmanager.sh bogus: exit %d\n%s", r.code, r.out)
	}
}
