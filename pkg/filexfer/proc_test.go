package filexfer

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

func TestParseCred(t *testing.T) {
	status := "Name:\tsh\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\nGroups:\t100 24 27 \n"
	c, err := ParseCred([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Cred{Uid: 1000, Gid: 100, Groups: []uint32{100, 24, 27}}); !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v, want %+v", c, want)
	}
	for _, bad := range []string{"", "Uid:\t1\n", "Uid:\tx\nGid:\t1\n", "Uid:\t1\nGid:\t1\nGroups:\ta\n", "Uid:\nGid:\t1\n"} {
		if _, err := ParseCred([]byte(bad)); err == nil {
			t.Errorf("ParseCred(%q): no error", bad)
		}
	}
	if m, ok := parseUmask([]byte(status)); !ok || m != 0o022 {
		t.Fatalf("umask %o %v", m, ok)
	}
}

func FuzzParseCred(f *testing.F) {
	f.Add([]byte("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n"))
	f.Add([]byte("Uid:\t4294967296\nGid:\t1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseCred(b)
		_, _ = parseUmask(b)
	})
}

// fakeProc writes a /proc-like tree: pid -> {comm, ppid, uid}.
func fakeProc(t *testing.T, procs map[int]struct {
	comm      string
	ppid, uid int
	start     int
}) string {
	t.Helper()
	root := t.TempDir()
	for pid, p := range procs {
		d := filepath.Join(root, strconv.Itoa(pid))
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		stat := strconv.Itoa(pid) + " (" + p.comm + ") S " + strconv.Itoa(p.ppid) + " " + strconv.Itoa(pid) + " 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 " + strconv.Itoa(p.start) + " 0 0\n"
		u := strconv.Itoa(p.uid)
		files := map[string]string{"comm": p.comm + "\n", "stat": stat, "status": "Uid:\t" + u + "\t" + u + "\t" + u + "\t" + u + "\nGid:\t" + u + "\t" + u + "\t" + u + "\t" + u + "\nGroups:\t\n"}
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(d, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

// TestLoginShell: the login shell is the command itself once it has
// exec'd a shell, else the child login (or su) started; nobody while
// only the login programs run.
func TestLoginShell(t *testing.T) {
	auth := []string{"webssh", "login", "su"}
	type p = struct {
		comm      string
		ppid, uid int
		start     int
	}
	for _, tt := range []struct {
		name  string
		procs map[int]p
		want  int // uid, or -1 for ErrNotLoggedIn
	}{
		{"at the prompt", map[int]p{10: {"webssh", 1, 0, 1}}, -1},
		{"login asks the password", map[int]p{10: {"login", 1, 0, 1}}, -1},
		{"busybox login exec'd the shell", map[int]p{10: {"sh", 1, 1000, 1}}, 1000},
		{"util-linux login forked the shell", map[int]p{10: {"login", 1, 0, 1}, 11: {"bash", 10, 1000, 5}}, 1000},
		{"login forked, not yet exec'd", map[int]p{10: {"login", 1, 0, 1}, 11: {"login", 10, 0, 5}}, -1},
		{"su forked root's shell", map[int]p{10: {"su", 1, 65534, 1}, 11: {"bash", 10, 0, 5}}, 0},
		{"after su in the shell", map[int]p{10: {"login", 1, 0, 1}, 11: {"bash", 10, 1000, 5}, 12: {"su", 11, 0, 9}, 13: {"bash", 12, 0, 12}}, 1000},
		{"oldest child is the shell", map[int]p{10: {"login", 1, 0, 1}, 12: {"bash", 10, 1000, 5}, 11: {"helper", 10, 0, 7}}, 1000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoginShell(fakeProc(t, tt.procs), 10, auth)
			switch {
			case tt.want < 0 && err != ErrNotLoggedIn:
				t.Fatalf("got %+v, %v; want ErrNotLoggedIn", c, err)
			case tt.want >= 0 && (err != nil || int(c.Uid) != tt.want):
				t.Fatalf("got %+v, %v; want uid %d", c, err, tt.want)
			}
		})
	}
}
