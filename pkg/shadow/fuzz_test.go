package shadow

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzSetRootHash: whatever the file and hash, the result has the same
// number of lines, and outside root's hash field the same bytes.
func FuzzSetRootHash(f *testing.F) {
	f.Add([]byte(sample), "$6$new$hash")
	f.Add([]byte(sample), "$6$x\nevil::0:0:99999:7:::")
	f.Fuzz(func(t *testing.T, data []byte, hash string) {
		out, err := SetRootHash(data, hash)
		if err != nil {
			return
		}
		if bytes.Count(out, []byte("\n")) != bytes.Count(data, []byte("\n")) {
			t.Fatalf("line count changed: %q -> %q", data, out)
		}
		if strings.ContainsAny(hash, ":\n") {
			t.Fatalf("accepted hash %q", hash)
		}
		i := bytes.Index(out, []byte("root:"+hash+":"))
		if i < 0 {
			t.Fatalf("hash not in output %q", out)
		}
		prefix, suffix := out[:i+5], out[i+5+len(hash):]
		if !bytes.HasPrefix(data, prefix) || !bytes.HasSuffix(data, suffix) {
			t.Fatalf("bytes outside the hash changed: %q -> %q", data, out)
		}
	})
}
