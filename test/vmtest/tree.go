package vmtest

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/luoyun/osmanager/internal/testbin"
)

// StageTree lays the /LuoYun tree out under dst (dst/LuoYun), as
// `make install` does: the scripts, custom/, build/, init/ from the
// repository and the binaries from bins.
func StageTree(repo, bins, dst string) error {
	root := filepath.Join(dst, "LuoYun")
	for _, d := range []string{"bin", "log", "run", "init"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "conf"), 0o700); err != nil {
		return err
	}
	for _, c := range testbin.Components {
		if err := copyFile(filepath.Join(bins, c), filepath.Join(root, "bin", c), 0o755); err != nil {
			return err
		}
	}
	for _, f := range []string{"osmanager.sh", "install.sh", "uninstall.sh"} {
		src := filepath.Join(repo, f)
		if _, err := os.Stat(src); err != nil {
			return fmt.Errorf("stage tree: %w", err)
		}
		if err := copyFile(src, filepath.Join(root, f), 0o755); err != nil {
			return err
		}
	}
	for _, d := range []string{"custom", "build", "init"} {
		if err := copyDir(filepath.Join(repo, d), filepath.Join(root, d)); err != nil {
			return fmt.Errorf("stage tree: %w", err)
		}
	}
	return nil
}

func copyFile(src, dst string, mode fs.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, mode)
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() || d.Name() == ".keep" {
			return nil
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		return copyFile(p, target, st.Mode().Perm())
	})
}

// MakeDisk writes an ext2 image of sizeMiB, holding the directory content
// unless content is "".
func MakeDisk(image, content string, sizeMiB int) error {
	args := []string{"-q", "-F", "-L", "luoyun"}
	if content != "" {
		args = append(args, "-d", content)
	}
	args = append(args, image, fmt.Sprintf("%dM", sizeMiB))
	out, err := exec.Command("mkfs.ext2", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("mkfs.ext2: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// DiskFile returns a file's content from an ext2 image (debugfs, read only).
func DiskFile(image, path string) (string, error) {
	cmd := exec.Command("debugfs", "-R", "cat "+path, image)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("debugfs cat %s: %w: %s", path, err, errb.String())
	}
	if strings.Contains(errb.String(), "File not found") {
		return "", fmt.Errorf("debugfs cat %s: %s", path, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// DiskMode returns a file's permission bits in an ext2 image.
func DiskMode(image, path string) (fs.FileMode, error) {
	out, err := exec.Command("debugfs", "-R", "stat "+path, image).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("debugfs stat %s: %w: %s", path, err, out)
	}
	var mode uint32
	for _, line := range strings.Split(string(out), "\n") {
		if i := strings.Index(line, "Mode:"); i >= 0 {
			if _, err := fmt.Sscanf(strings.TrimSpace(line[i+5:]), "%o", &mode); err == nil {
				return fs.FileMode(mode & 0o7777), nil
			}
		}
	}
	return 0, fmt.Errorf("debugfs stat %s: no mode in %q", path, out)
}

// DiskList returns the sorted names of the regular files in a directory
// of an ext2 image.
func DiskList(image, dir string) ([]string, error) {
	out, err := exec.Command("debugfs", "-R", "ls -p "+dir, image).Output()
	if err != nil {
		return nil, fmt.Errorf("debugfs ls %s: %w", dir, err)
	}
	var names []string
	// Lines look like /12/100644/0/0/luoyun.log/1234/
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(strings.TrimSpace(line), "/")
		if len(f) >= 6 && strings.HasPrefix(f[2], "10") {
			names = append(names, f[5])
		}
	}
	sort.Strings(names)
	return names, nil
}
