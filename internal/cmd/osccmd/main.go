// Package osccmd is the command osc, the system configurator: it applies the
// instance's JSON settings from luoyun.conf to the system.
//
//	osc [-c/--config FILE] [--root DIR] [--no-network] [--dry-run]
//	    [--previous-tag TAG] [--settings FILE]
//
// passwd_hash becomes root's hash in etc/shadow, public_key root's
// authorized_keys, nameservers etc/resolv.conf, network the interfaces
// (through netlink). On an instance's first boot (its TAG not recorded
// in conf/identity.json; --previous-tag is what luoyun.conf held before
// the floppy was read) it gets its own host name, machine-id and SSH host
// keys (pkg/identity, settings [osc]). File edits happen under DIR
// (default /). One line per step on stdout: "<step>: changed|unchanged|
// skipped: <reason>|error: <reason>"; the exit code is 1 when any step
// failed.
//
//	osc install|uninstall|upgrade ...
//
// are the tree's boot entries and its upgrade, run by install.sh,
// uninstall.sh and upgrade.sh (package internal/treecmd);
//
//	osc boot [--dir DIR] [--record] STEP [\; STEP ...]
//
// is osmanager.sh's boot chain (package internal/bootcmd).
package osccmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/luoyun/osmanager/internal/bootcmd"
	"github.com/luoyun/osmanager/internal/cmd/floppyconfcmd"
	"github.com/luoyun/osmanager/pkg/cli"
	"github.com/luoyun/osmanager/pkg/identity"
	"github.com/luoyun/osmanager/pkg/idrecord"
	"github.com/luoyun/osmanager/pkg/lyconf"
	"github.com/luoyun/osmanager/pkg/netconf"
	"github.com/luoyun/osmanager/pkg/osc"
	"github.com/luoyun/osmanager/pkg/resolvconf"
	"github.com/luoyun/osmanager/pkg/settings"
)

// Main runs the osc command with args (the arguments after the program
// name) until ctx ends and returns its exit status; cmd/osc and the
// multicall binary cmd/luoyun call it.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "boot" {
		// The boot chain: its floppy and osc steps run in this process.
		return bootcmd.Main(ctx, args[1:], stdout, stderr,
			map[string]cli.MainFunc{"floppyconf": floppyconfcmd.Main, "osc": Main})
	}
	if len(args) > 0 && verbs[args[0]] != nil {
		return verbs[args[0]](ctx, args[1:], stdin, stdout, stderr)
	}
	return cli.ExitCode("osc", run(ctx, args, stdout, stderr), stderr)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := cli.New("osc", "[-c FILE] [--root DIR] [--no-network] [--dry-run] [--previous-tag TAG]",
		`Apply the instance's settings from luoyun.conf: passwd_hash to root's
entry in etc/shadow, public_key to root/.ssh/authorized_keys, nameservers
to etc/resolv.conf, network to the interfaces (matched by MAC). Invalid
settings are reported and skipped; identical content is not rewritten.
On an instance's first boot (a TAG not recorded in identity.json beside
luoyun.conf), the host name from domain.name, a new etc/machine-id and
new SSH host keys (settings [osc]).
Prints one line per step; exits 1 when any step failed.`)
	conf := c.Flags.StringP("config", "c", lyconf.DefaultPath, "instance configuration (luoyun.conf)")
	root := c.Flags.String("root", "/", "apply file edits under this directory")
	noNet := c.Flags.Bool("no-network", false, "leave the network interfaces alone")
	dry := c.Flags.Bool("dry-run", false, "print what would change and change nothing")
	prevTag := c.Flags.String("previous-tag", "", `the TAG luoyun.conf held before this boot ("" for none); without it, luoyun.conf is taken as unchanged`)
	if done, err := c.Parse(args, stdout); done || err != nil {
		return err
	}
	if err := c.NoArgs(); err != nil {
		return err
	}
	// A mistake in the settings file never stops the system's
	// configuration: a warning, and the default stands in.
	set := c.SettingsOrDefaults(stderr, settings.SectionOSC)
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
	id := identityConfig(set.OSC, lc, *conf)
	if c.Flags.Changed("previous-tag") {
		id.Previous = prevTag
	}
	cfg.Identity = &id
	if filepath.Clean(*root) == "/" {
		cfg.Reload = resolvconf.Reload // the running system's resolver service
		id.SetHostname = func(name string) error { return unix.Sethostname([]byte(name)) }
		id.SSHD = identity.SSHD{Run: identity.ExecRunner{}, Root: "/"}
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

// identityConfig is the identity's part of osc's configuration: the
// settings' switches, the TAG, the domain name and the record beside
// luoyun.conf.
func identityConfig(set settings.OSC, lc *lyconf.Conf, conf string) identity.Config {
	c := identity.Config{
		Enabled: set.Identity,
		Items:   identity.Items{HostKeys: set.HostKeys, MachineID: set.MachineID, Hostname: set.Hostname},
		Tag:     lc.Tag, HasTag: lc.HasTag,
		Record: idrecord.Path(conf),
	}
	if d := lc.Instance.Domain; d != nil {
		c.DomainName = d.Name
	}
	return c
}
