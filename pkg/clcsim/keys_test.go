package clcsim

import (
	"net"
	"strings"
	"testing"

	"github.com/luoyun/osmanager/internal/logtest"
	"github.com/luoyun/osmanager/pkg/clcproto"
)

func TestParseKeys(t *testing.T) {
	keys, err := ParseKeys(strings.NewReader("# fleet\n\n1 key-one-1\n  2\tkey-two-22  \n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || string(keys[1]) != "key-one-1" || string(keys[2]) != "key-two-22" {
		t.Errorf("keys = %q", keys)
	}
	for _, tt := range []struct{ in, want string }{
		{"1\n", "line 1: want \"TAG KEY\""},
		{"x key-one-1\n", "line 1: TAG \"x\""},
		{"0 key-one-1\n", "not a positive"},
		{"4294967297 key-one-1\n", "not a positive"},
		{"1 abc\n", "line 1 (TAG 1): "},
		{"1 key-one-1\n1 key-one-2\n", "line 2: TAG 1 listed twice"},
		{"# none\n", "no instance"},
		{"1 " + strings.Repeat("k", 5000) + "\n", "too long"},
	} {
		_, err := ParseKeys(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseKeys(%.20q) = %v, want error containing %q", tt.in, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "key-one") {
			t.Errorf("error shows a KEY: %v", err)
		}
	}
}

func FuzzParseKeys(f *testing.F) {
	f.Add("1 key-one-1\n2 key-two-22\n")
	f.Add("# c\n\n-1 abcdef\n")
	f.Add("2147483648 abcdef\n")
	f.Fuzz(func(t *testing.T, in string) {
		keys, err := ParseKeys(strings.NewReader(in))
		if err != nil {
			return
		}
		for tag, k := range keys {
			if tag <= 0 || clcproto.CheckKey(k) != nil {
				t.Fatalf("accepted TAG %d with a bad KEY", tag)
			}
		}
	})
}

// TestKeysPerTag: with Keys, each TAG authenticates with its own KEY;
// another's KEY or an unlisted TAG is refused.
func TestKeysPerTag(t *testing.T) {
	keys := map[int32][]byte{1: []byte("key-one-1"), 2: []byte("key-two-22")}
	s, ch := start(t, Config{Keys: keys}, logtest.New(t))
	auth := func(tag int32, k string) error {
		c, err := net.Dial("tcp", s.LocalAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		chal, _ := clcproto.NewChallenge(nil)
		return clcproto.Authenticate(c, []byte(k), tag, chal)
	}
	for tag, k := range keys {
		if err := auth(tag, string(k)); err != nil {
			t.Errorf("TAG %d with its KEY: %v", tag, err)
		}
		next(t, ch, AuthOK)
	}
	if err := auth(2, "key-one-1"); err == nil {
		t.Error("TAG 2 authenticated with TAG 1's KEY")
	}
	next(t, ch, AuthFailed)
	if err := auth(3, "key-one-1"); err == nil {
		t.Error("unlisted TAG 3 authenticated")
	}
	if e := next(t, ch, AuthFailed); e.Reason != "unknown-tag" {
		t.Errorf("unlisted TAG: reason %s, want unknown-tag", e.Reason)
	}
}
