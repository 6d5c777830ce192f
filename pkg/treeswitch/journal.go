package treeswitch

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// journal is what remains to do once the new tree is in place: it lies
// in the new tree (journalName) from before the switch until the end.
type journal struct {
	old    string   // the old tree's name beside the new one
	backup string   // its name in the new tree; "" to remove it
	keep   []string // what the backup keeps: the replaced components
}

func (j journal) bytes() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %s\n", j.old)
	if j.backup != "" {
		fmt.Fprintf(&b, "backup %s\n", j.backup)
	}
	for _, k := range j.keep {
		fmt.Fprintf(&b, "keep %s\n", k)
	}
	return b.Bytes()
}

// parseJournal reads a journal; names that are not one plain component
// are refused.
func parseJournal(data []byte) (journal, error) {
	var j journal
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if v == "" || v == "." || v == ".." || strings.Contains(v, "/") {
			return j, fmt.Errorf("bad journal line %q", line)
		}
		switch k {
		case "old":
			j.old = v
		case "backup":
			j.backup = v
		case "keep":
			j.keep = append(j.keep, v)
		}
	}
	if j.old == "" {
		return j, errors.New("journal without the old tree's name")
	}
	return j, nil
}

// writeJournal writes j into the stage, synced.
func (s *switcher) writeJournal(stage string, j journal) error {
	p := path.Join(stage, journalName)
	_ = s.parent.Remove(p)
	f, err := s.parent.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(j.bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// rename renames from to to in the tree's directory with renameat2's
// flags, and counts it.
func (s *switcher) rename(from, to string, flags uint) error {
	fd := int(s.pdir.Fd())
	if err := unix.Renameat2(fd, from, fd, to, flags); err != nil {
		return &os.LinkError{Op: "rename", Old: s.show(from), New: s.show(to), Err: err}
	}
	s.res.Renames++
	if s.AfterRename != nil {
		s.AfterRename(s.res.Renames)
	}
	return nil
}

// swap puts the stage in the tree's place.
func (s *switcher) swap(stage string, exists bool, j journal) error {
	if err := unix.Syncfs(int(s.pdir.Fd())); err != nil {
		return fmt.Errorf("sync %s: %w", s.show("."), err)
	}
	if !exists {
		return s.rename(stage, s.name, unix.RENAME_NOREPLACE)
	}
	if err := s.writeJournal(stage, j); err != nil {
		return fmt.Errorf("cannot write the journal in %s: %w", s.show(stage), unwrap(err))
	}
	var err error = unix.ENOSYS
	if !s.NoExchange {
		err = nil
		if rerr := s.rename(stage, s.name, unix.RENAME_EXCHANGE); rerr != nil {
			err = rerr
		}
	}
	switch {
	case err == nil:
		return s.pdir.Sync()
	case !exchangeUnsupported(err):
		return err
	}
	// The file system cannot exchange: the old tree aside, the new one
	// in its place. Between the two the tree is missing; recover puts
	// the old one back.
	j.old = "." + s.name + stageInfix + "old." + suffix()
	fmt.Fprintf(s.Out, "upgrade: %s cannot exchange two directories in one step: the old tree moves aside to %s, then the new one into its place\n", s.show("."), j.old)
	if err := s.writeJournal(stage, j); err != nil {
		return fmt.Errorf("cannot write the journal in %s: %w", s.show(stage), unwrap(err))
	}
	if err := s.rename(s.name, j.old, unix.RENAME_NOREPLACE); err != nil {
		return err
	}
	if err := s.rename(stage, s.name, unix.RENAME_NOREPLACE); err != nil {
		if s.rename(j.old, s.name, unix.RENAME_NOREPLACE) != nil {
			return fmt.Errorf("%w; the old tree is %s", err, s.show(j.old))
		}
		return err
	}
	return s.pdir.Sync()
}

// recover finishes the work of a run cut after its switch, puts back a
// tree a cut fallback had moved aside, and removes stages left by runs
// cut before their switch.
func (s *switcher) recover() error {
	if _, err := s.parent.Lstat(path.Join(s.name, journalName)); err == nil {
		fmt.Fprintf(s.Out, "finishing the upgrade of a run that was cut\n")
		if err := s.finish(); err != nil {
			return err
		}
	}
	names, err := readNames(s.parent, ".")
	if err != nil {
		return err
	}
	prefix := "." + s.name + stageInfix
	if _, err := s.parent.Lstat(s.name); errors.Is(err, fs.ErrNotExist) {
		for _, n := range names {
			if strings.HasPrefix(n, prefix+"old.") {
				if err := s.rename(n, s.name, unix.RENAME_NOREPLACE); err != nil {
					return err
				}
				fmt.Fprintf(s.Out, "put back the old tree a cut run had moved to %s\n", s.show(n))
				break
			}
		}
	}
	stale := func(p string) error {
		if err := s.parent.RemoveAll(p); err != nil {
			return fmt.Errorf("cannot remove the stale stage %s: %w", s.show(p), unwrap(err))
		}
		fmt.Fprintf(s.Out, "removed the stale stage %s\n", s.show(p))
		return nil
	}
	for _, n := range names {
		if strings.HasPrefix(n, prefix) && n != s.name {
			if st, err := s.parent.Lstat(n); err == nil && st.IsDir() {
				if err := stale(n); err != nil {
					return err
				}
			}
		}
	}
	if inner, err := readNames(s.parent, s.name); err == nil {
		for _, n := range inner {
			if strings.HasPrefix(n, legacyStage) {
				if err := stale(path.Join(s.name, n)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// finish does what the tree's journal says: the old tree into the new
// one as its backup, the backup pruned to the replaced components, the
// journal removed.
func (s *switcher) finish() error {
	jp := path.Join(s.name, journalName)
	data, err := s.parent.ReadFile(jp)
	if err != nil {
		return err
	}
	j, err := parseJournal(data)
	if err != nil {
		return fmt.Errorf("%s: %w", s.show(jp), err)
	}
	_, oerr := s.parent.Lstat(j.old)
	switch {
	case oerr == nil && j.backup == "":
		if err := s.parent.RemoveAll(j.old); err != nil {
			return fmt.Errorf("cannot remove the old tree %s: %w", s.show(j.old), unwrap(err))
		}
	case oerr == nil:
		if err := s.rename(j.old, path.Join(s.name, j.backup), unix.RENAME_NOREPLACE); err != nil {
			return err
		}
	}
	if j.backup != "" {
		b := path.Join(s.name, j.backup)
		names, err := readNames(s.parent, b)
		if err != nil {
			return err
		}
		for _, n := range names {
			if !slices.Contains(j.keep, n) {
				if err := s.parent.RemoveAll(path.Join(b, n)); err != nil {
					return fmt.Errorf("cannot tidy the backup %s: %w", s.show(b), unwrap(err))
				}
			}
		}
		if err := s.parent.Chmod(b, 0o700); err != nil {
			return err
		}
		s.res.Backup = s.show(b)
	}
	if err := s.parent.Remove(jp); err != nil {
		return err
	}
	if d, err := s.parent.Open(s.name); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
