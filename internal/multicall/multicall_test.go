package multicall

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	for _, tt := range []struct {
		argv     []string
		wantMain string // the command whose Main is returned
		wantArgv []string
		wantErr  string
	}{
		{[]string{"/LuoYun/bin/osm", "-c", "x"}, "osm", []string{"/LuoYun/bin/osm", "-c", "x"}, ""},
		{[]string{"webssh", "login"}, "webssh", []string{"webssh", "login"}, ""},
		{[]string{"/LuoYun/bin/luoyun", "web", "8080"}, "web", []string{"web", "8080"}, ""},
		{[]string{"luoyun", "floppyconf"}, "floppyconf", []string{"floppyconf"}, ""},
		{[]string{"luoyun"}, "", nil, "usage: luoyun COMMAND"},
		{[]string{"luoyun", "luoyun"}, "", nil, `unknown command "luoyun"`},
		{[]string{"/sbin/osm2", "osm"}, "", nil, `"osm2" is no command`},
		{nil, "", nil, "no argv[0]"},
	} {
		m, argv, err := Lookup(tt.argv)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Lookup(%q) error %v, want %q", tt.argv, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Lookup(%q): %v", tt.argv, err)
			continue
		}
		if reflect.ValueOf(m).Pointer() != reflect.ValueOf(Commands[tt.wantMain]).Pointer() {
			t.Errorf("Lookup(%q) is not %s's Main", tt.argv, tt.wantMain)
		}
		if !slices.Equal(argv, tt.wantArgv) {
			t.Errorf("Lookup(%q) argv %q, want %q", tt.argv, argv, tt.wantArgv)
		}
	}
}

// TestCommandsInProcess runs each command's Main in this process, as a
// test of any package can: --version and a bad option.
func TestCommandsInProcess(t *testing.T) {
	for name, m := range Commands {
		var out, errb bytes.Buffer
		if code := m(context.Background(), []string{"--version"}, nil, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), name+" ") {
			t.Errorf("%s --version = exit %d, %q %q", name, code, out.String(), errb.String())
		}
		out.Reset()
		errb.Reset()
		if code := m(context.Background(), []string{"--no-such-option"}, nil, &out, &errb); code != 2 || !strings.HasPrefix(errb.String(), name+": ") {
			t.Errorf("%s --no-such-option = exit %d, %q %q", name, code, out.String(), errb.String())
		}
	}
}
