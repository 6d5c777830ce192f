package webpage

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/luoyun/osmanager/pkg/idrecord"
)

// TestHostKeysVar: $hostkeys shows the fingerprints osc recorded beside
// luoyun.conf.
func TestHostKeysVar(t *testing.T) {
	f := newFixture(t)
	writeFile(t, filepath.Join(f.root, WithCookie, "k.html"), "[$hostkeys]")
	rec := filepath.Join(filepath.Dir(f.conf), idrecord.File)
	for _, tt := range []struct{ name, record, want string }{
		{"no record", "", "[unknown]"},
		{"keys", string(idrecord.Record{Tag: 7, HostKeys: []idrecord.HostKey{
			{Type: "ED25519", Bits: 256, Fingerprint: "SHA256:WI9iTzXCuv0qCgqUycOaWMkQOIJBTAYwtGlo/w6od0A"},
			{Type: "RSA", Bits: 3072, Fingerprint: "SHA256:ac4sr6QIEkaS4ylQXafx+LglZBvsgmPjlvVs8sv1F3U"},
		}}.Marshal()), "[256 SHA256:WI9iTzXCuv0qCgqUycOaWMkQOIJBTAYwtGlo/w6od0A (ED25519), 3072 SHA256:ac4sr6QIEkaS4ylQXafx+LglZBvsgmPjlvVs8sv1F3U (RSA)]"},
		{"no keys", `{"tag":7,"host_keys":[]}`, "[none]"},
		{"escaped", `{"tag":7,"host_keys":[{"type":"<b>","bits":1,"fingerprint":"x"}]}`, "[1 x (&lt;b&gt;)]"},
		{"damaged", `{"tag":`, "[unknown]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(rec)
			if tt.record != "" {
				writeFile(t, rec, tt.record)
			}
			_, addr := start(t, f.config(newClock(t0)), nil)
			if r := get(t, addr, "/k.html?cookie="+testCookie); r.body != tt.want {
				t.Errorf("page = %q, want %q", r.body, tt.want)
			}
		})
	}
}
