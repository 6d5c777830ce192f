package daemon

import "testing"

func FuzzParseIdentity(f *testing.F) {
	f.Add([]byte("start=123 dev=2049 ino=77 exe=/LuoYun/bin/web\n"))
	f.Add([]byte("start=1 dev=1 ino=1 exe=/a (deleted)"))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := ParseIdentity(b)
		if err != nil {
			return
		}
		again, err := ParseIdentity([]byte(id.String()))
		if err != nil || again != id {
			t.Errorf("round trip of %q: %+v, %v", id.String(), again, err)
		}
	})
}
