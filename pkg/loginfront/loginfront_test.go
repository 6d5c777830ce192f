package loginfront

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidName(t *testing.T) {
	for _, s := range []string{"root", "alice", "_svc", "a.b-c_9", "Bob", strings.Repeat("a", MaxName)} {
		if !ValidName(s) {
			t.Errorf("ValidName(%q) = false", s)
		}
	}
	for _, s := range []string{"", "-f", "-froot", "9lives", "a b", "../x", "a/b", "root\x00", "é", strings.Repeat("a", MaxName+1), ".x"} {
		if ValidName(s) {
			t.Errorf("ValidName(%q) = true", s)
		}
	}
}

func TestAskName(t *testing.T) {
	tests := []struct {
		in, want, out string
		err           error
	}{
		{"root\n", "root", "vm login: ", nil},
		{"  alice \r\n", "alice", "vm login: ", nil},
		{"\n\nbob\n", "bob", "vm login: vm login: vm login: ", nil},
		{"-f root\nroot\n", "root", "vm login: \r\nLogin incorrect\r\nvm login: ", nil},
		{"", "", "vm login: ", ErrNoName},
		{"root", "root", "vm login: ", nil},
		{"-f\n-f\n-f\nroot\n", "", strings.Repeat("vm login: \r\nLogin incorrect\r\n", 3), ErrNoName},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		got, err := AskName(strings.NewReader(tt.in), &out, "vm")
		if got != tt.want || !errors.Is(err, tt.err) || out.String() != tt.out {
			t.Errorf("AskName(%q) = %q, %v, printed %q; want %q, %v, %q", tt.in, got, err, out.String(), tt.want, tt.err, tt.out)
		}
	}
}

func TestChoose(t *testing.T) {
	dir := t.TempDir()
	noPts := filepath.Join(dir, "securetty-console")
	withPts := filepath.Join(dir, "securetty-pts")
	os.WriteFile(noPts, []byte("# local consoles only\nconsole\ntty1\nttyS0\n"), 0o644)
	os.WriteFile(withPts, []byte("console\npts/3\n"), 0o644)
	su := filepath.Join(dir, "su")
	os.WriteFile(su, nil, 0o755)
	p := func(securetty string) Paths { return Paths{Login: "/bin/login", Su: su, Securetty: securetty} }
	login := func(u string) Plan { return Plan{Argv: []string{"/bin/login", u}} }
	tests := []struct {
		name  string
		user  string
		root  bool
		paths Paths
		tty   string
		want  Plan
	}{
		{"user, no pts in securetty", "alice", false, p(noPts), "pts/3", login("alice")},
		{"root, no securetty", "root", true, p(filepath.Join(dir, "none")), "pts/3", login("root")},
		{"root, pts listed", "root", true, p(withPts), "pts/3", login("root")},
		{"root, other pts listed", "root", true, p(withPts), "pts/4", Plan{Argv: []string{su, "-l", "root"}, Unprivileged: true}},
		{"root, no pts in securetty", "root", true, p(noPts), "pts/3", Plan{Argv: []string{su, "-l", "root"}, Unprivileged: true}},
		{"uid 0 alias", "toor", true, p(noPts), "pts/0", Plan{Argv: []string{su, "-l", "toor"}, Unprivileged: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, Choose(tt.user, tt.root, tt.tty, tt.paths)); d != "" {
				t.Fatalf("Choose mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func FuzzAskName(f *testing.F) {
	for _, s := range []string{"root\n", "\n\n-f\nx\n", "", "a b\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name, err := AskName(strings.NewReader(in), &bytes.Buffer{}, "h")
		if err == nil && !ValidName(name) {
			t.Fatalf("AskName(%q) = %q, not a valid name", in, name)
		}
	})
}
