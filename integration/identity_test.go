package integration

import (
	"crypto/elliptic"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/luoyun/osmanager/pkg/identity"
	"github.com/luoyun/osmanager/pkg/idrecord"
)

// TestIdentityInLogAndStatus: with osmanager.sh, the instance's first
// boot makes new host keys; their fingerprints are in osmanager.log, in
// status and status --json and on the withcookie page. A restart (the
// same floppy, the same TAG) changes no key.
func TestIdentityInLogAndStatus(t *testing.T) {
	s := newSandbox(t, 200*time.Millisecond)
	mustMkdir(t, filepath.Join(s.root, "etc/ssh"))
	image := map[string]string{}
	for _, typ := range []string{"ed25519", "ecdsa"} {
		priv, pub, err := identity.NewHostKey(typ, elliptic.P256(), "root@builder")
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(s.root, "etc/ssh/ssh_host_"+typ+"_key")
		mustWrite(t, f, string(priv), 0o600)
		mustWrite(t, f+".pub", string(pub), 0o644)
		image[f+".pub"] = string(pub)
	}
	mustWrite(t, filepath.Join(s.root, "etc/machine-id"), "0123456789abcdef0123456789abcdef\n", 0o444)

	if r := s.osmanager(t, "start"); r.code != 0 {
		t.Fatalf("start = exit %d:\n%s", r.code, r.out)
	}
	rec, err := idrecord.Read(filepath.Join(s.tree, "conf", idrecord.File))
	if err != nil || rec.Tag != e2eTag || len(rec.HostKeys) != 2 {
		t.Fatalf("record %+v, %v", rec, err)
	}
	for f, old := range image {
		if readFile(t, f) == old {
			t.Errorf("%s is the image's", f)
		}
	}
	fps := idrecord.Fingerprints(rec.HostKeys)
	log := readFile(t, filepath.Join(s.tree, "log/osmanager.log"))
	if !strings.Contains(log, "[INFO] osc: host_keys: changed ("+fps+"; first boot, TAG 42)") {
		t.Errorf("osmanager.log lacks the new keys' fingerprints %q:\n%s", fps, log)
	}
	if h := readFile(t, filepath.Join(s.root, "etc/hostname")); h != "e2e\n" {
		t.Errorf("etc/hostname = %q", h)
	}

	checkShown := func(when string) {
		t.Helper()
		r := s.osmanager(t, "status")
		for _, k := range rec.HostKeys {
			if !strings.Contains(r.out, "ssh host key: "+k.String()+"\n") {
				t.Errorf("%s: status lacks %q:\n%s", when, k, r.out)
			}
		}
		out := runScript(t, s.env(), filepath.Join(s.tree, "osmanager.sh"), "status", "--json")
		var st struct {
			Identity *struct {
				Tag      int `json:"tag"`
				HostKeys []struct {
					Fingerprint string `json:"fingerprint"`
				} `json:"host_keys"`
			} `json:"identity"`
		}
		if err := json.Unmarshal([]byte(out.out), &st); err != nil || st.Identity == nil || st.Identity.Tag != e2eTag ||
			len(st.Identity.HostKeys) != 2 || st.Identity.HostKeys[0].Fingerprint != rec.HostKeys[0].Fingerprint {
			t.Errorf("%s: status --json identity = %+v, %v", when, st.Identity, err)
		}
		var body string
		if !waitFor(5*time.Second, func() bool {
			body = httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/?cookie=%s", s.webPort, e2eCookie))
			return strings.Contains(body, `<dd id="hostkeys">`+fps+`</dd>`)
		}) {
			t.Errorf("%s: page lacks the fingerprints %q:\n%s", when, fps, body)
		}
	}
	checkShown("first boot")

	keys := map[string]string{}
	for f := range image {
		keys[f] = readFile(t, f)
	}
	if r := s.osmanager(t, "restart"); r.code != 0 {
		t.Fatalf("restart = exit %d:\n%s", r.code, r.out)
	}
	for f, k := range keys {
		if readFile(t, f) != k {
			t.Errorf("restart with the same TAG changed %s", f)
		}
	}
	log = readFile(t, filepath.Join(s.tree, "log/osmanager.log"))
	if !strings.Contains(log, "[INFO] osc: host_keys: unchanged (TAG 42 configured before; "+fps+")") {
		t.Errorf("osmanager.log: restart does not say the keys are unchanged:\n%s", log)
	}
	checkShown("restart")
}
