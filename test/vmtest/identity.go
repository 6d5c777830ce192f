package vmtest

import (
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/luoyun/osmanager/internal/vmboot"
	"github.com/luoyun/osmanager/pkg/identity"
)

// imageMachineID is the machine-id the image is built with.
const imageMachineID = "0123456789abcdef0123456789abcdef"

// ImageIdentity returns what every clone of the image shares: SSH host
// keys (ed25519 and ecdsa: an RSA key made under TCG would cost the boot
// seconds) and a machine-id, as /etc files for the initramfs.
func ImageIdentity() ([]vmboot.File, error) {
	files := []vmboot.File{{Path: "/etc/machine-id", Mode: 0o444, Data: []byte(imageMachineID + "\n")}}
	for _, typ := range []string{"ed25519", "ecdsa"} {
		priv, pub, err := identity.NewHostKey(typ, elliptic.P256(), "root@builder")
		if err != nil {
			return nil, err
		}
		f := fmt.Sprintf("/etc/ssh/ssh_host_%s_key", typ)
		files = append(files, vmboot.File{Path: f, Mode: 0o600, Data: priv}, vmboot.File{Path: f + ".pub", Mode: 0o644, Data: pub})
	}
	return files, nil
}

// guestIdentity is what the console says of the guest's identity after
// a boot.
type guestIdentity struct {
	MachineID, Hostname, Keys string // Keys: a digest of each public key, in file order
	Fingerprints              string // osc's host_keys line: the keys as ssh-keygen -l shows them
	Changed                   bool   // osc made new keys this boot
}

var (
	identityLine = regexp.MustCompile(`VMTEST: identity: machine-id=(\S*) hostname=(\S*) keys=([0-9a-f ]*?)\s*\r?\n`)
	hostKeysLine = regexp.MustCompile(`\[INFO\] osc: host_keys: (changed|unchanged) \((?:TAG \d+ configured before; )?((?:\d+ SHA256:\S+ \(\w+\)(?:, )?)+)`)
)

// parseIdentity reads the guest's identity from its console.
func parseIdentity(console string) (guestIdentity, error) {
	m := identityLine.FindStringSubmatch(console)
	if m == nil {
		return guestIdentity{}, fmt.Errorf("no /%s/ on the console", identityLine)
	}
	k := hostKeysLine.FindStringSubmatch(console)
	if k == nil {
		return guestIdentity{}, fmt.Errorf("no /%s/ on the console", hostKeysLine)
	}
	return guestIdentity{MachineID: m[1], Hostname: m[2], Keys: m[3], Fingerprints: k[2], Changed: k[1] == "changed"}, nil
}

// keyDigests is what the guest's identity line shows of these public
// keys: the first 16 hex digits of the SHA-256 of each key's base64
// field followed by a newline, in file name order.
func keyDigests(files []vmboot.File) string {
	var pubs []vmboot.File
	for _, f := range files {
		if strings.HasSuffix(f.Path, ".pub") {
			pubs = append(pubs, f)
		}
	}
	sort.Slice(pubs, func(i, j int) bool { return pubs[i].Path < pubs[j].Path })
	var out []string
	for _, f := range pubs {
		field := strings.Fields(string(f.Data))[1]
		sum := sha256.Sum256([]byte(field + "\n"))
		out = append(out, hex.EncodeToString(sum[:])[:16])
	}
	return strings.Join(out, " ")
}
