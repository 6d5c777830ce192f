package health

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/luoyun/osmanager/pkg/idrecord"
)

// Identity is the instance's own identity as osc recorded it
// (conf/identity.json): the TAG it was made for and the SSH host keys'
// fingerprints, for a user to check on the first connection.
type Identity struct {
	// Tag is the instance the identity was made for.
	Tag int `json:"tag"`
	// Hostname is the host name osc set from the domain name; "" when none.
	Hostname string `json:"hostname,omitempty"`
	// HostKeys are the SSH host keys: type, bits, SHA256 fingerprint, file.
	HostKeys []idrecord.HostKey `json:"host_keys"`
}

// readIdentity reads the tree's identity record; nil when there is none.
func readIdentity(dir string, note func(string, ...any)) *Identity {
	rec, err := idrecord.Read(filepath.Join(dir, "conf", idrecord.File))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			note("%v", err)
		}
		return nil
	}
	if rec.HostKeys == nil {
		rec.HostKeys = []idrecord.HostKey{}
	}
	return &Identity{Tag: rec.Tag, Hostname: rec.Hostname, HostKeys: rec.HostKeys}
}

// writeText writes "identity: TAG 42, host name vm-42" and a line per
// host key, as `ssh-keygen -l` shows it.
func (id *Identity) writeText(b *strings.Builder) {
	if id == nil {
		return
	}
	fmt.Fprintf(b, "identity: TAG %d", id.Tag)
	if id.Hostname != "" {
		fmt.Fprintf(b, ", host name %s", id.Hostname)
	}
	if len(id.HostKeys) == 0 {
		b.WriteString(", no ssh host keys")
	}
	b.WriteString("\n")
	for _, k := range id.HostKeys {
		fmt.Fprintf(b, "ssh host key: %s\n", k)
	}
}
