package origjobs

import (
	"regexp"
	"strings"
	"testing"
)

func TestRecognise(t *testing.T) {
	tests := []struct {
		name, job string
		want      bool
	}{
		{"osconfig", "start on stopped rc RUNLEVEL=[345]\ntask\nexec /LuoYun/bin/lyconfig.sh\n", true},
		{"osconfig", "exec python /LuoYun/bin/pyosc/osconfig.py\n", true},
		{"osconfig", "exec /usr/bin/python2.7 -u /LuoYun/bin/pyosc/osconfig.py\n", true},
		{"osconfig", "exec sh /LuoYun/bin/lyconfig.sh\n", true},
		{"osconfig", "script\n  /usr/bin/python /LuoYun/bin/pyosc/osconfig.py > /dev/null\nend script\n", true},
		{"osconfig", "script\n  python /LuoYun/bin/pyosc/osconfig.py\nend script\n", true},
		{"customconfig", "script\n  if [ -x /LuoYun/custom/scripts/config ]\n  then\n    /LuoYun/custom/scripts/config \n  else\n    exit 0\n  fi\nend script\n", true},
		{"customweb", "respawn\nexec /LuoYun/bin/pyweb/lyweb.py 8080\n", true},
		{"osm", "exec /LuoYun/bin/pyosm/lyosm.py\n", true},
		{"webssh", "script\n  port=$(/LuoYun/bin/webssh/websshport.py)\n  exec /LuoYun/bin/webssh/shellinaboxd -t -p $port -s /:SSH\nend script\n", true},
		{"osm", "# exec /usr/bin/evil\nexec /LuoYun/bin/pyosm/lyosm.py # comment\n", true},

		{"osm", "start on runlevel [2345]\nexec /usr/local/bin/mydaemon\n", false},
		{"webssh", "script\n  /LuoYun/bin/webssh/shellinaboxd -p 8001\n  /usr/bin/logger started\nend script\n", false},
		{"customconfig", "pre-start exec /bin/rm -rf /srv\nscript\n  /LuoYun/custom/scripts/config\nend script\n", false},
		{"customweb", "exec /LuoYun/bin/pyosm/lyosm.py\n", false},
		{"osconfig", "exec python /usr/local/bin/other.py\n", false},
		{"osconfig", "exec python\n", false},
		{"osconfig", "exec python /LuoYun/bin/pyosc/../../../usr/bin/evil\n", false},
		{"osconfig", "exec /LuoYun/bin/pyosc/\n", false},
		{"osconfig", "script\n  /LuoYun/bin/lyconfig.sh\n", false}, // unterminated
		{"osconfig", "start on stopped rc\n", false},               // runs nothing
		{"osconfig", "exec /Other/bin/lyconfig.sh\n", false},
		{"unknown", "exec /LuoYun/bin/lyconfig.sh\n", false},
	}
	for _, tt := range tests {
		if got := Recognise(tt.name, []byte(tt.job), "/LuoYun"); got != tt.want {
			t.Errorf("Recognise(%s, %q) = %v, want %v", tt.name, tt.job, got, tt.want)
		}
	}
	if !Recognise("osm", []byte("exec /opt/ly/bin/pyosm/lyosm.py\n"), "/opt/ly") {
		t.Errorf("a tree elsewhere: not recognised")
	}
}

func TestIsRCLink(t *testing.T) {
	if !IsRCLink("/LuoYun/osmanager.sh", "/LuoYun") || IsRCLink("/usr/local/other.sh", "/LuoYun") {
		t.Errorf("IsRCLink")
	}
}

func FuzzRecognise(f *testing.F) {
	f.Add("osconfig", "exec python /LuoYun/bin/pyosc/osconfig.py\n")
	f.Add("webssh", "script\n  port=$(/LuoYun/bin/webssh/websshport.py)\nend script\n")
	f.Fuzz(func(t *testing.T, name, job string) {
		Recognise(name, []byte(job), "/LuoYun")
	})
}

// TestIsInterpreter: isInterpreter accepts what the regular expression
// it replaced matched, and nothing else.
func TestIsInterpreter(t *testing.T) {
	re := regexp.MustCompile(`^(/(usr/)?(local/)?bin/)?(python[0-9.]*|sh|bash|dash|ash)$`)
	var progs []string
	for _, dir := range []string{"", "/bin/", "/usr/bin/", "/local/bin/", "/usr/local/bin/", "/sbin/", "usr/bin/", "/usr/local/", "/opt/bin/", "/bin/bin/"} {
		for _, name := range []string{"sh", "bash", "dash", "ash", "zsh", "python", "python2", "python2.7", "python3.12.", "pythonx", "python2a", "Python", "sh ", "", "pysh"} {
			progs = append(progs, dir+name)
		}
	}
	accepted := 0
	for _, p := range progs {
		want := re.MatchString(p)
		if got := isInterpreter(p); got != want {
			t.Errorf("isInterpreter(%q) = %v, want %v", p, got, want)
		}
		if want {
			accepted++
		}
	}
	if accepted != 5*8 {
		t.Errorf("the expression matched %d of the programs, want 40: the table lost its cases", accepted)
	}
}

// FuzzIsInterpreter: isInterpreter and the regular expression it
// replaced agree on any string.
func FuzzIsInterpreter(f *testing.F) {
	re := regexp.MustCompile(`^(/(usr/)?(local/)?bin/)?(python[0-9.]*|sh|bash|dash|ash)$`)
	for _, s := range []string{"/usr/local/bin/python3.1", "/bin/sh", "ash", "/usr/bin/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := isInterpreter(p), re.MatchString(p); got != want {
			t.Errorf("isInterpreter(%q) = %v, want %v", p, got, want)
		}
	})
}

// TestSeparators: a script line splits into the words the shell's
// punctuation and space leave.
func TestSeparators(t *testing.T) {
	line := "  port=$(/LuoYun/bin/webssh/websshport.py)\t`a`;b|c&d<e>f\"g\"'h'"
	got := strings.Join(strings.FieldsFunc(line, isSeparator), ",")
	if want := "port,/LuoYun/bin/webssh/websshport.py,a,b,c,d,e,f,g,h"; got != want {
		t.Errorf("words of %q = %s, want %s", line, got, want)
	}
}
