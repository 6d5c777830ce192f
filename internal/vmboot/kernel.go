package vmboot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Kernel is an installed Linux kernel: its image and its modules tree.
type Kernel struct {
	Version    string // e.g. "6.1.0-56-amd64"
	Image      string // e.g. /boot/vmlinuz-6.1.0-56-amd64
	ModulesDir string // e.g. /lib/modules/6.1.0-56-amd64
}

// ErrNoKernel is returned by FindKernel when no usable kernel is installed.
var ErrNoKernel = errors.New("no kernel image with a modules tree installed (apt-get install linux-image-amd64)")

// FindKernel returns the newest kernel under root (normally "/") that has
// both a readable /boot/vmlinuz-VERSION and /lib/modules/VERSION/modules.dep.
func FindKernel(root string) (Kernel, error) {
	images, err := filepath.Glob(filepath.Join(root, "boot", "vmlinuz-*"))
	if err != nil {
		return Kernel{}, fmt.Errorf("find kernel: %w", err)
	}
	var found []Kernel
	for _, img := range images {
		ver := strings.TrimPrefix(filepath.Base(img), "vmlinuz-")
		k := Kernel{Version: ver, Image: img, ModulesDir: filepath.Join(root, "lib", "modules", ver)}
		if f, err := os.Open(img); err != nil {
			continue
		} else {
			f.Close()
		}
		if _, err := os.Stat(filepath.Join(k.ModulesDir, "modules.dep")); err != nil {
			continue
		}
		found = append(found, k)
	}
	if len(found) == 0 {
		return Kernel{}, ErrNoKernel
	}
	sort.Slice(found, func(i, j int) bool { return versionLess(found[i].Version, found[j].Version) })
	return found[len(found)-1], nil
}

// versionLess compares kernel versions field by field, numerically where
// both fields are numbers ("6.1.0-9" < "6.1.0-56").
func versionLess(a, b string) bool {
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '-' || r == '+' })
	}
	fa, fb := split(a), split(b)
	for i := 0; i < len(fa) && i < len(fb); i++ {
		if fa[i] == fb[i] {
			continue
		}
		na, ea := strconv.Atoi(fa[i])
		nb, eb := strconv.Atoi(fb[i])
		if ea == nil && eb == nil {
			return na < nb
		}
		return fa[i] < fb[i]
	}
	return len(fa) < len(fb)
}
