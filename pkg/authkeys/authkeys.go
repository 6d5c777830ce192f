// Package authkeys writes root's ssh authorized_keys from the cloud's
// public_key setting, accepting only plain public keys: every non-empty
// line must parse as an authorized_keys entry without options, so a
// setting cannot smuggle in a command= or from= line.
package authkeys

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/luoyun/osmanager/pkg/atomicfile"
)

// Path is root's authorized_keys relative to the root prefix.
const Path = "root/.ssh/authorized_keys"

// MaxSize bounds the setting.
const MaxSize = 256 << 10

// Render checks text and returns the authorized_keys content: each key on
// its own line, blank lines and surrounding spaces dropped.
func Render(text string) ([]byte, error) {
	if len(text) > MaxSize {
		return nil, fmt.Errorf("longer than %d bytes", MaxSize)
	}
	var out bytes.Buffer
	n := 0
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" {
			continue
		}
		if strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7F }) {
			return nil, fmt.Errorf("line %d: control character", i+1)
		}
		_, _, opts, rest, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("line %d: not an ssh public key: %w", i+1, err)
		}
		if len(opts) > 0 {
			return nil, fmt.Errorf("line %d: options (%s) are not allowed", i+1, strings.Join(opts, ","))
		}
		if len(bytes.TrimSpace(rest)) > 0 {
			return nil, fmt.Errorf("line %d: more than one key", i+1)
		}
		out.WriteString(line)
		out.WriteByte('\n')
		n++
	}
	if n == 0 {
		return nil, errors.New("no key")
	}
	return out.Bytes(), nil
}

// Update writes content to <root>/root/.ssh/authorized_keys: the .ssh
// directory made 0700 and the file 0600, both owned by root when created
// by a process that may chown. Identical content is not rewritten; with
// dryRun nothing is written at all.
func Update(root string, content []byte, dryRun bool) (atomicfile.Result, error) {
	path := filepath.Join(root, Path)
	dir := filepath.Dir(path)
	changed := false
	st, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		changed = true
		if !dryRun {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return atomicfile.Unchanged, err
			}
			if err := chownRoot(dir); err != nil {
				return atomicfile.Unchanged, err
			}
		}
	case err != nil:
		return atomicfile.Unchanged, err
	case !st.IsDir():
		return atomicfile.Unchanged, fmt.Errorf("%s is not a directory", dir)
	case st.Mode().Perm() != 0o700:
		changed = true
		if !dryRun {
			if err := os.Chmod(dir, 0o700); err != nil {
				return atomicfile.Unchanged, err
			}
		}
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, content) {
		if fst, err := os.Stat(path); err == nil && fst.Mode().Perm() == 0o600 && !changed {
			return atomicfile.Unchanged, nil
		}
	}
	if dryRun {
		return atomicfile.Changed, nil
	}
	res, err := atomicfile.Write(path, content, atomicfile.Options{Mode: 0o600, ForceMode: true, SetOwner: os.Geteuid() == 0})
	if changed {
		res = atomicfile.Changed
	}
	return res, err
}

func chownRoot(path string) error {
	if os.Geteuid() != 0 {
		return nil // only root may give a file to root
	}
	return os.Lchown(path, 0, 0)
}
