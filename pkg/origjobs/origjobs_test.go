package origjobs

import (
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
