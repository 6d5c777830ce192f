// Package osc is the command osc, the system configurator: it applies the
// instance's JSON settings from luoyun.conf to the system.
//
//	osc [-c/--config FILE] [--root DIR] [--no-network] [--dry-run] [--settings FILE]
//
// passwd_hash becomes root's hash in etc/shadow, public_key root's
// authorized_keys, nameservers etc/resolv.conf, network the interfaces
// (through netlink). File edits happen under DIR (default /). One line per
// step on stdout: "<step>: changed|unchanged|skipped: <reason>|error:
// <reason>"; the exit code is 1 when any step failed.
//
//	osc install|uninstall|upgrade ...
//
// are the tree's boot entries and its upgrade, run by install.sh,
// uninstall.sh and upgrade.sh (package internal/treecmd).
package osc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/luoyun/osmanager/pkg/cli"
	"github.com/luoyun/osmanager/pkg/lyconf"
	"github.com/luoyun/osmanager/pkg/netconf"
	"github.com/luoyun/osmanager/pkg/osc"
	"github.com/luoyun/osmanager/pkg/resolvconf"
)

// Main runs the osc command with args (the arguments after the program
// name) until ctx ends and returns its exit status; cmd/osc and the
// multicall binary cmd/luoyun call it.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && verbs[args[0]] != nil {
		return verbs[args[0]](ctx, args[1:], stdin, stdout, stderr)
	}
	return cli.ExitCode("osc", run(ctx, args, stdout, stderr), stderr)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := cli.New("osc", "[-c FILE] [--root DIR] [--no-network] [--dry-run]",
		`Apply the instance's settings from luoyun.conf: passwd_hash to root's
entry in etc/shadow, public_key to root/.ssh/authorized_keys, nameservers
to etc/resolv.conf, network to the interfaces (matched by MAC). Invalid
settings are reported and skipped; identical content is not rewritten.
Prints one line per step; exits 1 when any step failed.`)
	conf := c.Flags.StringP("config", "c", lyconf.DefaultPath, "instance configuration (luoyun.conf)")
	root := c.Flags.String("root", "/", "apply file edits under this directory")
	noNet := c.Flags.Bool("no-network", false, "leave the network interfaces alone")
	dry := c.Flags.Bool("dry-run", false, "print what would change and change nothing")
	if done, err := c.Parse(args, stdout); done || err != nil {
		return err
	}
	if err := c.NoArgs(); err != nil {
		return err
	}
	// osc uses no section of the settings file, and a mistake in it never
	// stops the system's configuration: at most a warning.
	c.SettingsOrDefaults(stderr)
	st, err := os.Stat(*root)
	if err != nil {
		return fmt.Errorf("--root %s: %w", *root, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("--root %s is not a directory", *root)
	}
	lc, err := lyconf.Load(*conf)
	if err != nil {
		return err
	}
	// osc applies the JSON only: a bad JSON line is said once, and every
	// step then says "skipped" (floppyconf reports the other lines).
	for _, p := range lc.Problems {
		if p.Key == "JSON" {
			fmt.Fprintf(stderr, "osc: warning: %v\n", p)
		}
	}
	cfg := osc.Config{Root: *root, DryRun: *dry, NoNetwork: *noNet}
	if filepath.Clean(*root) == "/" {
		cfg.Reload = resolvconf.Reload // the running system's resolver service
	}
	if !*noNet && len(lc.Instance.Network) > 0 {
		// Without netlink only the network steps fail; the others apply.
		if nl, err := netconf.NewNetlink(); err != nil {
			cfg.Net = netconf.Unavailable{Err: err}
		} else {
			defer nl.Close()
			cfg.Net = nl
		}
	}
	steps := osc.New(cfg, nil).Run(ctx, &lc.Instance)
	var failed []string
	for _, s := range steps {
		fmt.Fprintln(stdout, s)
		if s.Status == osc.Failed {
			failed = append(failed, s.Name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d step(s) failed: %s", len(failed), strings.Join(failed, ", "))
	}
	return nil
}
