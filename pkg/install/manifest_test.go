package install

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestManifestFormat pins install.manifest as uninstall.sh of every
// version reads it.
func TestManifestFormat(t *testing.T) {
	m := manifest{kind: SysV, dir: "/LuoYun", dirs: []string{"/etc/rc2.d"}}
	for _, e := range Entries(SysV, "/LuoYun")[:2] {
		m.entries = append(m.entries, e)
	}
	m.entries = append(m.entries, Entry{false, "/etc/init/luoyun/osm.conf", ""})
	want := `# Written by install.sh; uninstall.sh removes exactly these entries.
# init sysv
# tree /LuoYun
d /etc/rc2.d
l /etc/rc2.d/S99luoyun-osmanager /LuoYun/osmanager.sh
l /etc/rc3.d/S99luoyun-osmanager /LuoYun/osmanager.sh
f /etc/init/luoyun/osm.conf
`
	if got := m.String(); got != want {
		t.Errorf("manifest:\n%s\nwant:\n%s", got, want)
	}
	back := parseManifest([]byte(want))
	if d := cmp.Diff(m, back, cmp.AllowUnexported(manifest{})); d != "" {
		t.Errorf("parseManifest (-want +got):\n%s", d)
	}
}

func TestEntries(t *testing.T) {
	for kind, n := range map[string]int{SysV: 5, Upstart: 5, Systemd: 10, "other": 0} {
		if got := Entries(kind, "/opt/ly"); len(got) != n {
			t.Errorf("Entries(%s) = %d entries, want %d", kind, len(got), n)
		}
	}
	if got := string(render([]byte("exec /LuoYun/osmanager.sh exec osm\n"), "/opt/ly")); got != "exec /opt/ly/osmanager.sh exec osm\n" {
		t.Errorf("render = %q", got)
	}
	for _, p := range []string{"/LuoYun", "/opt/lu-yun_2.0+x"} {
		if !treeChars(p) {
			t.Errorf("%s refused", p)
		}
	}
	for _, p := range []string{"LuoYun", "/Luo Yun", "/L#", "/L\n", "", "/Lé", "/L\x00"} {
		if treeChars(p) {
			t.Errorf("%q accepted", p)
		}
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte("# init sysv\n# tree /LuoYun\nd /etc/rc2.d\nl /etc/rc2.d/S99luoyun-osmanager /LuoYun/osmanager.sh\nf /etc/x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := parseManifest(data)
		for _, e := range m.entries {
			if !strings.HasPrefix(e.Path, "/") {
				t.Errorf("entry %q is not absolute", e.Path)
			}
		}
	})
}
