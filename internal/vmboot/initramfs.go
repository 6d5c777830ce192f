package vmboot

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// File is one file placed in the initramfs.
type File struct {
	Path string      // absolute path in the guest
	Mode fs.FileMode // permission bits
	Data []byte
}

// Link is one symbolic link placed in the initramfs.
type Link struct {
	Path   string // absolute path in the guest
	Target string
}

// Tree copies a host directory into the guest.
type Tree struct {
	Src string // host directory
	Dst string // guest directory
}

// Initramfs describes the guest's root file system.
type Initramfs struct {
	// Busybox is the host path of a statically linked busybox; it is
	// installed as /bin/busybox with a link for every applet it lists.
	Busybox string
	// BusyboxSetuid installs busybox setuid root, as images do that
	// rely on its su (busybox drops the privilege for other applets).
	BusyboxSetuid bool
	// Modules are placed under /lib/modules/VERSION with a matching
	// modules.dep, so that busybox modprobe works in the guest.
	Modules *ModuleSet
	// Init is the script run as /init (pid 1).
	Init string
	// Files, Links and Trees are added after the base layout, in order.
	Files []File
	Links []Link
	Trees []Tree
}

// baseDirs exist in every image.
var baseDirs = []string{"bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "proc", "sys",
	"dev", "tmp", "run", "root", "var", "var/log", "mnt", "lib", "lib/modules"}

// Write writes the image as an uncompressed newc archive to w.
func (ir *Initramfs) Write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	c := NewCPIO(bw)
	made := map[string]bool{"": true, ".": true, "/": true}
	mkdirs := func(dir string, perm fs.FileMode) error {
		dir = strings.Trim(path.Clean("/"+dir), "/")
		var parts []string
		for d := dir; !made[d]; d = path.Dir(d) {
			parts = append(parts, d)
			if path.Dir(d) == "." {
				break
			}
		}
		for i := len(parts) - 1; i >= 0; i-- {
			p := perm
			if i > 0 {
				p = 0o755
			}
			if err := c.Dir(parts[i], p); err != nil {
				return err
			}
			made[parts[i]] = true
		}
		return nil
	}
	for _, d := range baseDirs {
		perm := fs.FileMode(0o755)
		if d == "tmp" {
			perm = 0o777 | fs.ModeSticky
		}
		if err := mkdirs(d, perm); err != nil {
			return err
		}
	}
	if err := c.CharDev("dev/console", 0o600, 5, 1); err != nil {
		return err
	}
	if err := c.CharDev("dev/null", 0o666, 1, 3); err != nil {
		return err
	}
	if ir.Busybox != "" {
		if err := ir.addBusybox(c, mkdirs); err != nil {
			return err
		}
	}
	if ir.Modules != nil {
		base := "lib/modules/" + ir.Modules.Version
		for _, m := range ir.Modules.Modules {
			p := base + "/" + m.Path
			if err := mkdirs(path.Dir(p), 0o755); err != nil {
				return err
			}
			if err := c.File(p, 0o644, m.Data); err != nil {
				return err
			}
		}
		if err := mkdirs(base, 0o755); err != nil {
			return err
		}
		if err := c.File(base+"/modules.dep", 0o644, ir.Modules.ModulesDep()); err != nil {
			return err
		}
	}
	if ir.Init != "" {
		if err := c.File("init", 0o755, []byte(ir.Init)); err != nil {
			return err
		}
	}
	for _, f := range ir.Files {
		if err := mkdirs(path.Dir(f.Path), 0o755); err != nil {
			return err
		}
		if err := c.File(f.Path, f.Mode, f.Data); err != nil {
			return err
		}
		made[strings.Trim(path.Clean(f.Path), "/")] = true
	}
	for _, l := range ir.Links {
		if err := mkdirs(path.Dir(l.Path), 0o755); err != nil {
			return err
		}
		if err := c.Symlink(l.Path, l.Target); err != nil {
			return err
		}
	}
	for _, t := range ir.Trees {
		if err := addTree(c, mkdirs, t); err != nil {
			return fmt.Errorf("initramfs: tree %s: %w", t.Src, err)
		}
	}
	if err := c.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteFile writes the image to a file.
func (ir *Initramfs) WriteFile(name string) error {
	var buf bytes.Buffer
	if err := ir.Write(&buf); err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	return nil
}

func (ir *Initramfs) addBusybox(c *CPIO, mkdirs func(string, fs.FileMode) error) error {
	data, err := os.ReadFile(ir.Busybox)
	if err != nil {
		return fmt.Errorf("initramfs: busybox: %w", err)
	}
	mode := fs.FileMode(0o755)
	if ir.BusyboxSetuid {
		mode |= fs.ModeSetuid
	}
	if err := c.File("bin/busybox", mode, data); err != nil {
		return err
	}
	out, err := exec.Command(ir.Busybox, "--list-full").Output()
	if err != nil {
		return fmt.Errorf("initramfs: busybox --list-full: %w", err)
	}
	for _, applet := range strings.Fields(string(out)) {
		applet = strings.Trim(path.Clean("/"+applet), "/")
		if applet == "bin/busybox" || applet == "init" || applet == "linuxrc" {
			continue
		}
		if err := mkdirs(path.Dir(applet), 0o755); err != nil {
			return err
		}
		if err := c.Symlink(applet, "/bin/busybox"); err != nil {
			return err
		}
	}
	return nil
}

// addTree copies a host directory: directories, regular files (with their
// permission bits) and symbolic links, in a stable order.
func addTree(c *CPIO, mkdirs func(string, fs.FileMode) error, t Tree) error {
	var paths []string
	err := filepath.WalkDir(t.Src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(paths)
	for _, p := range paths {
		rel, err := filepath.Rel(t.Src, p)
		if err != nil {
			return err
		}
		dst := path.Join(t.Dst, filepath.ToSlash(rel))
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case st.IsDir():
			if err := mkdirs(dst, st.Mode().Perm()); err != nil {
				return err
			}
		case st.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := c.Symlink(dst, target); err != nil {
				return err
			}
		case st.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := c.File(dst, st.Mode().Perm(), data); err != nil {
				return err
			}
		}
	}
	return nil
}
