package websshcmd

import (
	"slices"
	"testing"
)

// TestLoginFrontCommand: the separate binary runs "webssh login", the
// one-binary flavour "luoyun webssh login" (it dispatches on argv[0]).
func TestLoginFrontCommand(t *testing.T) {
	for exe, want := range map[string][]string{
		"/LuoYun/bin/webssh": {"/LuoYun/bin/webssh", "login"},
		"/LuoYun/bin/luoyun": {"/LuoYun/bin/luoyun", "webssh", "login"},
	} {
		if got := loginFrontCommand(exe); !slices.Equal(got, want) {
			t.Errorf("loginFrontCommand(%s) = %q, want %q", exe, got, want)
		}
	}
}
