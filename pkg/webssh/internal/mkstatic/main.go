// Command mkstatic writes webssh's embedded assets: every page file of
// ui/ (*.js, *.css) and every file of ui/vendor/ (what ui/build.sh takes
// from the pinned npm packages) gzip-compressed into static/NAME.gz, and
// removes any other file of static/. Run by `go generate` in pkg/webssh
// (and at the end of ui/build.sh):
//
//	mkstatic [-ui DIR] [-out DIR]
//
// The output is deterministic (gzstatic.Compress), so a run that changes
// nothing in ui/ changes nothing in static/.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/luoyun/osmanager/pkg/atomicfile"
	"github.com/luoyun/osmanager/pkg/webssh/gzstatic"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mkstatic:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("mkstatic", flag.ContinueOnError)
	ui := fl.String("ui", "ui", "directory of the page's own files, with vendor/")
	out := fl.String("out", "static", "directory of the compressed files")
	if err := fl.Parse(args); err != nil {
		return err
	}
	srcs, err := sources(*ui)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	keep := map[string]bool{}
	for _, src := range srcs {
		name := filepath.Base(src) + gzstatic.Suffix
		if keep[name] {
			return fmt.Errorf("%s: a file of that name is both in the page's files and in vendor/", src)
		}
		keep[name] = true
	}
	for _, src := range srcs {
		data, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("read source: %w", err)
		}
		gz, err := gzstatic.Compress(data)
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		name := filepath.Base(src) + gzstatic.Suffix
		res, err := atomicfile.Write(filepath.Join(*out, name), gz, atomicfile.Options{Mode: 0o644})
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		fmt.Fprintf(stdout, "%-22s %7d -> %7d bytes (%s)\n", name, len(data), len(gz), res)
	}
	ents, err := os.ReadDir(*out)
	if err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	for _, e := range ents {
		if !keep[e.Name()] {
			if err := os.RemoveAll(filepath.Join(*out, e.Name())); err != nil {
				return fmt.Errorf("remove stale output: %w", err)
			}
			fmt.Fprintf(stdout, "%-22s removed\n", e.Name())
		}
	}
	return nil
}

// sources returns the files to compress: ui's *.js and *.css and the
// regular files of ui/vendor.
func sources(ui string) ([]string, error) {
	var srcs []string
	for _, pat := range []string{"*.js", "*.css"} {
		m, err := filepath.Glob(filepath.Join(ui, pat))
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", ui, err)
		}
		srcs = append(srcs, m...)
	}
	vendor := filepath.Join(ui, "vendor")
	ents, err := os.ReadDir(vendor)
	if err != nil {
		return nil, fmt.Errorf("list vendored files: %w", err)
	}
	for _, e := range ents {
		if e.Type().IsRegular() {
			srcs = append(srcs, filepath.Join(vendor, e.Name()))
		}
	}
	slices.Sort(srcs)
	return srcs, nil
}
