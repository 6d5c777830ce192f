package vmboot

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Module is one kernel module to put in the initramfs.
type Module struct {
	Name string // canonical name: "virtio_net"
	Path string // path relative to the modules tree, always ending in .ko
	Data []byte // the module, decompressed
	Deps []string
}

// ModuleSet is a closed set of modules in load order: every module comes
// after the modules it depends on.
type ModuleSet struct {
	Version string
	Modules []Module
}

// modName turns a path or name into the kernel's canonical module name.
func modName(s string) string {
	b := filepath.Base(s)
	for _, ext := range []string{".xz", ".zst", ".gz"} {
		b = strings.TrimSuffix(b, ext)
	}
	b = strings.TrimSuffix(b, ".ko")
	return strings.ReplaceAll(b, "-", "_")
}

// parseModulesDep reads modules.dep: "kernel/a.ko: kernel/b.ko kernel/c.ko".
// It returns each module's path and its dependency paths, keyed by name.
func parseModulesDep(r io.Reader) (paths map[string]string, deps map[string][]string, err error) {
	paths = map[string]string{}
	deps = map[string][]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		mod, rest, ok := strings.Cut(line, ":")
		if !ok {
			return nil, nil, fmt.Errorf("modules.dep: malformed line %q", line)
		}
		name := modName(mod)
		paths[name] = strings.TrimSpace(mod)
		for _, d := range strings.Fields(rest) {
			deps[name] = append(deps[name], modName(d))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("modules.dep: %w", err)
	}
	return paths, deps, nil
}

// ResolveModules returns the named modules of kernel k and everything they
// depend on, in load order, decompressed (.ko.xz and .ko.zst through the
// xz and zstd tools, .ko.gz in Go), so that busybox insmod can load them.
func ResolveModules(k Kernel, names ...string) (*ModuleSet, error) {
	f, err := os.Open(filepath.Join(k.ModulesDir, "modules.dep"))
	if err != nil {
		return nil, fmt.Errorf("resolve modules: %w", err)
	}
	defer f.Close()
	paths, deps, err := parseModulesDep(f)
	if err != nil {
		return nil, fmt.Errorf("resolve modules: %w", err)
	}
	order, err := loadOrder(paths, deps, names)
	if err != nil {
		return nil, fmt.Errorf("resolve modules: %w", err)
	}
	set := &ModuleSet{Version: k.Version}
	for _, name := range order {
		rel := paths[name]
		data, err := readModule(filepath.Join(k.ModulesDir, rel))
		if err != nil {
			return nil, fmt.Errorf("resolve modules: %s: %w", name, err)
		}
		for _, ext := range []string{".xz", ".zst", ".gz"} {
			rel = strings.TrimSuffix(rel, ext)
		}
		set.Modules = append(set.Modules, Module{Name: name, Path: rel, Data: data, Deps: deps[name]})
	}
	return set, nil
}

// loadOrder returns names and their dependencies, dependencies first.
func loadOrder(paths map[string]string, deps map[string][]string, names []string) ([]string, error) {
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(n string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("dependency cycle at %s", n)
		case 2:
			return nil
		}
		if _, ok := paths[n]; !ok {
			return fmt.Errorf("module %s not in modules.dep (built in, or not in this kernel?)", n)
		}
		state[n] = 1
		for _, d := range deps[n] {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[n] = 2
		order = append(order, n)
		return nil
	}
	for _, n := range names {
		if err := visit(modName(n)); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func readModule(p string) ([]byte, error) {
	raw, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasSuffix(p, ".gz"):
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	case strings.HasSuffix(p, ".xz"):
		return decompressWith(raw, "xz", "-dc")
	case strings.HasSuffix(p, ".zst"):
		return decompressWith(raw, "zstd", "-dc")
	}
	return raw, nil
}

func decompressWith(raw []byte, tool string, args ...string) ([]byte, error) {
	cmd := exec.Command(tool, args...)
	cmd.Stdin = bytes.NewReader(raw)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", tool, err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

// ModulesDep returns a modules.dep for exactly this set, so that busybox
// modprobe inside the guest resolves the same dependencies.
func (s *ModuleSet) ModulesDep() []byte {
	byName := map[string]string{}
	for _, m := range s.Modules {
		byName[m.Name] = m.Path
	}
	var b bytes.Buffer
	for _, m := range s.Modules {
		b.WriteString(m.Path + ":")
		for _, d := range m.Deps {
			if p, ok := byName[d]; ok {
				b.WriteString(" " + p)
			}
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}
