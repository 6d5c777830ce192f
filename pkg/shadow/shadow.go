// Package shadow edits root's entry in /etc/shadow: only the second field
// (the password hash) of root's line changes, every other byte of the
// file stays as it was, and the file keeps its mode, owner and group.
package shadow

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/luoyun/osmanager/pkg/atomicfile"
)

// Path is the shadow file relative to the root prefix.
const Path = "etc/shadow"

// MaxHashLen bounds a hash; real ones are under 150 bytes.
const MaxHashLen = 512

// ValidateHash reports why h is not a crypt(3) hash, or nil. Accepted are
// the modular form "$id$[param=value,...$]salt$hash" (md5 $1$, bcrypt
// $2a$/$2b$/$2y$, sha256 $5$, sha512 $6$, yescrypt $y$, ...) and the
// traditional 13-character DES form. A hash can never hold a ':',
// whitespace or a control character, so it cannot add fields or lines to
// /etc/shadow.
func ValidateHash(h string) error {
	if h == "" {
		return errors.New("empty hash")
	}
	if len(h) > MaxHashLen {
		return fmt.Errorf("hash longer than %d bytes", MaxHashLen)
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c == ':':
			return fmt.Errorf("':' at byte %d", i)
		case c < 0x20 || c == 0x7F:
			return fmt.Errorf("control character %q at byte %d", c, i)
		case c == ' ':
			return fmt.Errorf("space at byte %d", i)
		case c >= 0x80:
			return fmt.Errorf("non-ASCII byte at %d", i)
		}
	}
	if !strings.HasPrefix(h, "$") {
		if len(h) == 13 && allIn(h, cryptChars) {
			return nil // traditional DES
		}
		return errors.New("not a crypt(3) hash (want $id$salt$hash)")
	}
	parts := strings.Split(h[1:], "$")
	if len(parts) < 3 {
		return errors.New("not a crypt(3) hash (want $id$salt$hash)")
	}
	if parts[0] == "" || !allIn(parts[0], "abcdefghijklmnopqrstuvwxyz0123456789") {
		return fmt.Errorf("bad hash id %q", parts[0])
	}
	for _, p := range parts[1:] {
		if p == "" || !allIn(p, cryptChars+"=,") {
			return errors.New("not a crypt(3) hash (bad salt or hash field)")
		}
	}
	return nil
}

const cryptChars = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func allIn(s, set string) bool {
	for _, r := range s {
		if !strings.ContainsRune(set, r) {
			return false
		}
	}
	return true
}

// SetRootHash returns data with the hash field of root's line replaced by
// hash; every other byte is kept. It fails when there is no well-formed
// root line or hash is not valid.
func SetRootHash(data []byte, hash string) ([]byte, error) {
	if err := ValidateHash(hash); err != nil {
		return nil, err
	}
	off := 0
	for off < len(data) {
		end := bytes.IndexByte(data[off:], '\n')
		line := data[off:]
		if end >= 0 {
			line = data[off : off+end]
		}
		if bytes.HasPrefix(line, []byte("root:")) {
			f1 := off + len("root:")
			n := bytes.IndexByte(line[len("root:"):], ':')
			if n < 0 {
				return nil, errors.New("root's line has no password field")
			}
			out := make([]byte, 0, len(data)+len(hash))
			out = append(out, data[:f1]...)
			out = append(out, hash...)
			out = append(out, data[f1+n:]...)
			return out, nil
		}
		if end < 0 {
			break
		}
		off += end + 1
	}
	return nil, errors.New("no root entry")
}

// Update sets root's hash in etc/shadow of the tree root. It writes
// nothing when the hash is already there (temp files a killed writer
// left are still removed); with dryRun it only reports what it would do.
func Update(root *atomicfile.Root, hash string, dryRun bool) (atomicfile.Result, error) {
	old, err := root.ReadFile(Path)
	if err != nil {
		return atomicfile.Unchanged, err
	}
	data, err := SetRootHash(old, hash)
	if err != nil {
		return atomicfile.Unchanged, fmt.Errorf("%s: %w", root.Path(Path), err)
	}
	if dryRun {
		if bytes.Equal(old, data) {
			return atomicfile.Unchanged, nil
		}
		return atomicfile.Changed, nil
	}
	// atomicfile keeps the existing mode, owner and group, writes nothing
	// when the content is the same and removes stale temp files either way.
	return root.Write(Path, data, atomicfile.Options{Mode: 0o640})
}
