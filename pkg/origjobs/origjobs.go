// Package origjobs recognises the boot entries the original LuoYun
// scripts made for a tree: its upstart jobs (/etc/init/luoyun/NAME.conf)
// and its rc links. An entry is the original's when it starts that job's
// own programs and nothing else, directly or through python or sh, in
// exec lines or script blocks; install takes such entries over and the
// upgrade says when they are still in place.
package origjobs

import (
	"path"
	"strings"
	"unicode"
)

// Names are the original's upstart jobs, in the order it started them.
var Names = []string{"osconfig", "customconfig", "customweb", "osm", "webssh"}

// programs returns what the original's job name runs for the tree at
// dir: exact programs, and directories (ending in "/") whose programs
// count.
func programs(name, dir string) []string {
	switch name {
	case "osconfig":
		return []string{dir + "/bin/lyconfig.sh", dir + "/bin/pyosc/"}
	case "customconfig":
		return []string{dir + "/custom/scripts/config"}
	case "customweb":
		return []string{dir + "/bin/pyweb/"}
	case "osm":
		return []string{dir + "/bin/pyosm/"}
	case "webssh":
		return []string{dir + "/bin/webssh/"}
	}
	return nil
}

// IsRCLink reports whether an rc link's target is the one the original
// install.sh made for the tree at dir.
func IsRCLink(target, dir string) bool { return target == dir+"/osmanager.sh" }

// isInterpreter reports whether prog may run a job's program: python in
// any version (python, python2.7) and the usual shells, by name or under
// /bin, /usr/bin, /local/bin or /usr/local/bin.
//
// Written out rather than a regular expression: every daemon of the one
// binary links this package, and regexp brings unicode's tables, which
// its initialisers build in each daemon's heap (docs/integration.md,
// "Idle memory").
func isInterpreter(prog string) bool {
	for _, dir := range []string{"/usr/local/bin/", "/usr/bin/", "/local/bin/", "/bin/"} {
		if rest, ok := strings.CutPrefix(prog, dir); ok {
			prog = rest
			break
		}
	}
	switch prog {
	case "sh", "bash", "dash", "ash":
		return true
	}
	v, ok := strings.CutPrefix(prog, "python")
	return ok && strings.Trim(v, "0123456789.") == ""
}

// isSeparator reports whether r separates words in a script block: the
// shell's punctuation around them, or space.
func isSeparator(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune("$()`\"';|&<>=", r)
}

// Recognise reports whether job, the content of the upstart job
// name.conf, is the original's job for the tree at dir: it runs
// something, and every program it names is one of that job's programs
// (an interpreter in front of it aside).
func Recognise(name string, job []byte, dir string) bool {
	progs := programs(name, dir)
	if progs == nil {
		return false
	}
	r := recogniser{progs: progs}
	inScript := false
	for _, line := range strings.Split(string(job), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		switch {
		case inScript && len(f) >= 2 && f[0] == "end" && f[1] == "script":
			inScript = false
		case inScript:
			for _, w := range strings.FieldsFunc(line, isSeparator) {
				if strings.HasPrefix(w, "/") && strings.Contains(w[1:], "/") && !isInterpreter(w) {
					r.check(w)
				}
			}
		case len(f) >= 1 && f[0] == "script", len(f) >= 2 && f[1] == "script":
			inScript = true
			r.cmds++
		case len(f) >= 1 && f[0] == "exec":
			r.exec(f[1:])
		case len(f) >= 2 && f[1] == "exec":
			r.exec(f[2:])
		}
	}
	return r.cmds >= 1 && r.refs >= 1 && !r.bad && !inScript
}

type recogniser struct {
	progs      []string
	cmds, refs int
	bad        bool
}

// exec checks an exec line's program, past an interpreter and its options.
func (r *recogniser) exec(words []string) {
	r.cmds++
	for len(words) > 0 && isInterpreter(words[0]) {
		words = words[1:]
		for len(words) > 0 && strings.HasPrefix(words[0], "-") {
			words = words[1:]
		}
	}
	if len(words) == 0 {
		r.bad = true
		return
	}
	r.check(words[0])
}

func (r *recogniser) check(w string) {
	r.refs++
	if w == "/dev/null" {
		return
	}
	w = path.Clean(w)
	for _, p := range r.progs {
		if strings.HasSuffix(p, "/") && strings.HasPrefix(w, p) && len(w) > len(p) || w == p {
			return
		}
	}
	r.bad = true
}
