// Package authkeys writes root's ssh authorized_keys from the cloud's
// public_key setting, which is the owner's free text: the authorized_keys
// format (one key per line, with or without options such as from= or
// command=, "#" comments, blank lines). Each line that is not an entry
// sshd would accept — not a key, an unknown option, a control character —
// is refused and named by its line number, never quoted (a line may hold
// a secret); the valid lines are written. No line can add another line:
// the text is split on newlines and every other control character is
// refused.
package authkeys

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/luoyun/osmanager/pkg/atomicfile"
)

// Path is root's authorized_keys relative to the root prefix.
const Path = "root/.ssh/authorized_keys"

// MaxSize bounds the setting.
const MaxSize = 256 << 10

// Refused is a line of the setting that is not written.
type Refused struct {
	Line   int    // 1-based line number in the setting
	Reason string // why, without quoting the line
}

func (r Refused) String() string { return fmt.Sprintf("line %d: %s", r.Line, r.Reason) }

// Rendered is the authorized_keys content made from a setting.
type Rendered struct {
	Content []byte    // the valid lines, each ending in "\n"
	Keys    int       // keys in Content
	Refused []Refused // lines left out, in order
}

// Render checks text line by line and returns the content to write: keys
// (with their options) and comments, surrounding spaces and blank lines
// dropped, CRLF line ends taken as LF. Lines that are not valid are left
// out and listed in Refused. It fails only when text is too long or holds
// no valid key at all.
func Render(text string) (Rendered, error) {
	var out Rendered
	if len(text) > MaxSize {
		return out, fmt.Errorf("longer than %d bytes", MaxSize)
	}
	var b strings.Builder
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if reason := check(line); reason != "" {
			out.Refused = append(out.Refused, Refused{Line: i + 1, Reason: reason})
			continue
		}
		line = strings.Trim(line, " \t")
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "#") {
			out.Keys++
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	out.Content = []byte(b.String())
	if out.Keys == 0 {
		if len(out.Refused) > 0 {
			return out, fmt.Errorf("no valid key: %s", RefusedList(out.Refused))
		}
		return out, errors.New("no key")
	}
	return out, nil
}

// RefusedList formats refused lines for one message line.
func RefusedList(rs []Refused) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.String()
	}
	return strings.Join(s, "; ")
}

// check returns why line (without its line end) cannot be written, or "".
func check(line string) string {
	if strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7F }) {
		return "control character"
	}
	t := strings.Trim(line, " \t")
	if t == "" || strings.HasPrefix(t, "#") {
		return ""
	}
	_, _, opts, _, err := ssh.ParseAuthorizedKey([]byte(t))
	if err != nil {
		return "not an ssh public key"
	}
	for i, o := range opts {
		name, _, _ := strings.Cut(o, "=")
		if !knownOption(strings.ToLower(name)) {
			// Not named: the words before a key may be anything.
			return fmt.Sprintf("option %d is not one sshd knows", i+1)
		}
	}
	return ""
}

// knownOption reports whether name (lower case) is a key option sshd
// (OpenSSH 9) understands; sshd ignores a key line with any other.
func knownOption(name string) bool {
	switch name {
	case "agent-forwarding", "cert-authority", "command",
		"environment", "expiry-time", "from",
		"no-agent-forwarding", "no-port-forwarding", "no-pty",
		"no-user-rc", "no-x11-forwarding", "permitlisten",
		"permitopen", "port-forwarding", "principals",
		"pty", "no-touch-required", "restrict", "tunnel",
		"user-rc", "x11-forwarding", "verify-required":
		return true
	}
	return false
}

// Update writes content to root/.ssh/authorized_keys in the tree: the
// .ssh directory made 0700 and the file 0600, both owned by root when
// created by a process that may chown. Links on the way (root's home may
// be one) are followed inside the tree only. Identical content is not
// rewritten; with dryRun nothing is written at all.
func Update(root *atomicfile.Root, content []byte, dryRun bool) (atomicfile.Result, error) {
	dir, err := root.Resolve(path.Dir(Path))
	if err != nil {
		return atomicfile.Unchanged, err
	}
	file := path.Join(dir, path.Base(Path))
	fsys := root.OS()
	show := root.Path(path.Dir(Path))
	changed := false
	st, err := fsys.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		changed = true
		if !dryRun {
			if err := fsys.MkdirAll(dir, 0o700); err != nil {
				return atomicfile.Unchanged, fmt.Errorf("create %s: %w", show, err)
			}
			if err := chownRoot(fsys, dir); err != nil {
				return atomicfile.Unchanged, err
			}
		}
	case err != nil:
		return atomicfile.Unchanged, err
	case !st.IsDir():
		return atomicfile.Unchanged, fmt.Errorf("%s is not a directory", show)
	case st.Mode().Perm() != 0o700:
		changed = true
		if !dryRun {
			if err := fsys.Chmod(dir, 0o700); err != nil {
				return atomicfile.Unchanged, err
			}
		}
	}
	if dryRun {
		if !changed {
			old, err := fsys.ReadFile(file)
			fst, serr := fsys.Lstat(file)
			if err == nil && serr == nil && string(old) == string(content) && fst.Mode().Perm() == 0o600 {
				return atomicfile.Unchanged, nil
			}
		}
		return atomicfile.Changed, nil
	}
	res, err := root.Write(file, content, atomicfile.Options{Mode: 0o600, ForceMode: true, SetOwner: os.Geteuid() == 0})
	if changed && err == nil {
		res = atomicfile.Changed
	}
	return res, err
}

func chownRoot(fsys *os.Root, name string) error {
	if os.Geteuid() != 0 {
		return nil // only root may give a file to root
	}
	return fsys.Lchown(name, 0, 0)
}
