package identity

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"

	"github.com/luoyun/osmanager/pkg/atomicfile"
)

// MachineIDFile is systemd's machine-id, relative to the root.
const MachineIDFile = "etc/machine-id"

// NewMachineID returns a fresh id as systemd writes one: 128 random bits
// marked as a version 4 UUID, in 32 lower-case hex digits.
func NewMachineID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random machine-id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:]), nil
}

// MachineIDState says what etc/machine-id is in a tree.
type MachineIDState int

// What etc/machine-id can be.
const (
	// NoMachineID: no file; osc makes none.
	NoMachineID MachineIDState = iota
	// EmptyMachineID: an empty file, which tells systemd to make an id
	// at boot; it stays empty.
	EmptyMachineID
	// HasMachineID: a file with an id, replaced on an instance's first
	// boot.
	HasMachineID
)

// ReadMachineID says what the tree's etc/machine-id is.
func ReadMachineID(root *atomicfile.Root) (MachineIDState, error) {
	b, err := root.ReadFile(MachineIDFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return NoMachineID, nil
	case err != nil:
		return NoMachineID, err
	case len(bytes.TrimSpace(b)) == 0:
		return EmptyMachineID, nil
	}
	return HasMachineID, nil
}

// WriteMachineID replaces the tree's etc/machine-id with id (a link there
// is followed inside the tree; the file keeps its mode, 0444 when new).
func WriteMachineID(root *atomicfile.Root, id string) error {
	res, err := root.Resolve(MachineIDFile)
	if err != nil {
		return err
	}
	_, err = root.Write(res, []byte(id+"\n"), atomicfile.Options{Mode: 0o444})
	return err
}
