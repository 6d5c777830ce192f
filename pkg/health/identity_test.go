package health

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/luoyun/osmanager/pkg/idrecord"
)

// TestIdentity: the host keys' fingerprints osc recorded show in the
// text and the JSON; a damaged record is a note; none, nothing.
func TestIdentity(t *testing.T) {
	dir := tree(t)
	os.MkdirAll(filepath.Join(dir, "conf"), 0o700)
	if r := Collect(Options{Dir: dir}); r.Identity != nil || len(r.Notes) != 0 {
		t.Fatalf("no record: identity %+v, notes %q", r.Identity, r.Notes)
	}
	rec := idrecord.Record{Tag: 42, Hostname: "vm-42", HostKeys: []idrecord.HostKey{
		{Type: "ED25519", Bits: 256, Fingerprint: "SHA256:WI9iTzXCuv0qCgqUycOaWMkQOIJBTAYwtGlo/w6od0A", File: "/etc/ssh/ssh_host_ed25519_key.pub"},
		{Type: "RSA", Bits: 3072, Fingerprint: "SHA256:ac4sr6QIEkaS4ylQXafx+LglZBvsgmPjlvVs8sv1F3U", File: "/etc/ssh/ssh_host_rsa_key.pub"},
	}}
	if _, err := idrecord.Write(filepath.Join(dir, "conf", idrecord.File), rec); err != nil {
		t.Fatal(err)
	}
	r := Collect(Options{Dir: dir})
	var text, js bytes.Buffer
	r.WriteText(&text)
	r.WriteJSON(&js)
	for _, want := range []string{
		"identity: TAG 42, host name vm-42\n",
		"ssh host key: 256 SHA256:WI9iTzXCuv0qCgqUycOaWMkQOIJBTAYwtGlo/w6od0A (ED25519)\n",
		"ssh host key: 3072 SHA256:ac4sr6QIEkaS4ylQXafx+LglZBvsgmPjlvVs8sv1F3U (RSA)\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	var got struct {
		Identity struct {
			Tag      int `json:"tag"`
			HostKeys []struct {
				Type        string `json:"type"`
				Bits        int    `json:"bits"`
				Fingerprint string `json:"fingerprint"`
			} `json:"host_keys"`
		} `json:"identity"`
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil || got.Identity.Tag != 42 || len(got.Identity.HostKeys) != 2 ||
		got.Identity.HostKeys[1].Fingerprint != rec.HostKeys[1].Fingerprint || got.Identity.HostKeys[1].Bits != 3072 {
		t.Errorf("JSON identity = %+v, %v\n%s", got.Identity, err, js.String())
	}

	os.WriteFile(filepath.Join(dir, "conf", idrecord.File), []byte("{\"tag\":\n"), 0o644)
	if r := Collect(Options{Dir: dir}); r.Identity != nil || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], idrecord.File) {
		t.Errorf("damaged record: identity %+v, notes %q", r.Identity, r.Notes)
	}
}
