// Package idrecord is the record of an instance's identity that osc
// writes beside luoyun.conf (conf/identity.json) and that status and the
// page read: the TAG it was made for and the SSH host keys'
// fingerprints. It is a leaf: readers need no ssh code.
package idrecord

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/luoyun/osmanager/pkg/atomicfile"
)

// File is the record's name, beside luoyun.conf in the tree's conf/.
const File = "identity.json"

// Path returns the record that goes with the luoyun.conf at conf.
func Path(conf string) string { return filepath.Join(filepath.Dir(conf), File) }

// maxRecord bounds what ReadRecord reads of a damaged or hostile file.
const maxRecord = 64 << 10

// Record is what osc configured as the instance's identity: the TAG it
// was done for, and the fingerprints of the SSH host keys then in place,
// for `osmanager.sh status` and the page. It holds nothing secret (no
// machine-id: systemd asks that it not be shown to others).
type Record struct {
	// Tag is the instance the identity was made for.
	Tag int `json:"tag"`
	// HostKeys are the SSH host keys, in the order ed25519, ecdsa, rsa.
	HostKeys []HostKey `json:"host_keys"`
	// Hostname is the host name set from the domain name; "" when none was.
	Hostname string `json:"hostname,omitempty"`
}

// HostKey is one SSH host key's public part, as `ssh-keygen -l` shows it.
type HostKey struct {
	// Type is ED25519, ECDSA or RSA, as ssh-keygen writes it.
	Type string `json:"type"`
	// Bits is the key's size.
	Bits int `json:"bits"`
	// Fingerprint is "SHA256:" and the unpadded base64 of the SHA-256 of
	// the key.
	Fingerprint string `json:"fingerprint"`
	// File is the public key's path in the system ("/etc/ssh/...pub").
	File string `json:"file"`
}

// String formats the key as `ssh-keygen -l` does, without the comment:
// "256 SHA256:... (ED25519)".
func (k HostKey) String() string {
	return fmt.Sprintf("%d %s (%s)", k.Bits, k.Fingerprint, k.Type)
}

// Fingerprints lists the keys as String does, joined by ", ".
func Fingerprints(keys []HostKey) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = k.String()
	}
	return strings.Join(s, ", ")
}

// Marshal returns the record as the file holds it.
func (r Record) Marshal() []byte {
	if r.HostKeys == nil {
		r.HostKeys = []HostKey{}
	}
	b, _ := json.MarshalIndent(r, "", "  ") // plain types: cannot fail
	return append(b, '\n')
}

// Parse reads a record. Anything that is not one JSON object of
// the record's shape is an error; fields are cleaned of control
// characters so that a hand-edited file cannot add lines to a report.
func Parse(b []byte) (Record, error) {
	var r Record
	if len(b) > maxRecord {
		return Record{}, errors.New("larger than 64 kB")
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return Record{}, fmt.Errorf("not an identity record: %w", err)
	}
	for i := range r.HostKeys {
		k := &r.HostKeys[i]
		k.Type, k.Fingerprint, k.File = clean(k.Type), clean(k.Fingerprint), clean(k.File)
	}
	r.Hostname = clean(r.Hostname)
	return r, nil
}

// Read reads the record at path.
func Read(path string) (Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return Record{}, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxRecord+1))
	if err != nil {
		return Record{}, fmt.Errorf("read %s: %w", path, err)
	}
	r, err := Parse(b)
	if err != nil {
		return Record{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Write replaces the record at path atomically (0644: it holds
// nothing secret).
func Write(path string, r Record) (atomicfile.Result, error) {
	return atomicfile.Write(path, r.Marshal(), atomicfile.Options{Mode: 0o644})
}

// clean drops control characters and bounds the length.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > 256 {
		s = s[:256]
	}
	return s
}
