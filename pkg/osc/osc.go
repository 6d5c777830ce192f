// Package osc is the system configurator: it applies an instance's JSON
// settings to the system under a root prefix — root's password hash in
// etc/shadow, root's authorized_keys, etc/resolv.conf and the network
// interfaces, and on an instance's first boot its own host name,
// machine-id and SSH host keys (pkg/identity) — and reports one result
// per step. Each setting is checked before it is used; an invalid one is
// reported and skipped while the others are still applied. Nothing identical is rewritten, and a dry run
// changes nothing.
package osc

import (
	"context"
	"fmt"
	"strings"

	"github.com/luoyun/osmanager/pkg/atomicfile"
	"github.com/luoyun/osmanager/pkg/authkeys"
	"github.com/luoyun/osmanager/pkg/identity"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/lyconf"
	"github.com/luoyun/osmanager/pkg/netconf"
	"github.com/luoyun/osmanager/pkg/resolvconf"
	"github.com/luoyun/osmanager/pkg/shadow"
)

// Config says where and how to apply the settings.
type Config struct {
	// Root is the prefix of every file edited ("/" or "" in production,
	// an image or chroot directory for builders, a temp dir in tests).
	Root string
	// DryRun reports what would change and changes nothing.
	DryRun bool
	// NoNetwork leaves the network interfaces alone.
	NoNetwork bool
	// Net is the kernel's network; needed unless NoNetwork is set.
	Net netconf.System
	// Reload, when set, makes a resolver service re-read the file osc
	// wrote for it (resolvconf.Reload); nil for an image, where the
	// service reads it when it starts.
	Reload func(ctx context.Context, service string) error
	// Identity, when set, gives the instance its own host name,
	// machine-id and SSH host keys on its first boot (pkg/identity);
	// nil leaves them alone.
	Identity *identity.Config
}

// Status is the outcome of one step.
type Status string

// Step outcomes.
const (
	Changed   Status = "changed"
	Unchanged Status = "unchanged"
	Skipped   Status = "skipped"
	Failed    Status = "error"
)

// Step is the result of one step.
type Step struct {
	Name   string // the setting: passwd_hash, public_key, nameservers, network, nic0, ...
	Status Status
	Detail string // reason for skipped/error; what changed otherwise (may be empty)
}

// String formats the step as osc prints it:
// "<step>: changed|unchanged|skipped: <reason>|error: <reason>", with
// details of a change in parentheses.
func (s Step) String() string {
	d := strings.Join(strings.Fields(s.Detail), " ")
	switch {
	case s.Status == Skipped || s.Status == Failed:
		return fmt.Sprintf("%s: %s: %s", s.Name, s.Status, d)
	case d != "":
		return fmt.Sprintf("%s: %s (%s)", s.Name, s.Status, d)
	default:
		return fmt.Sprintf("%s: %s", s.Name, s.Status)
	}
}

// Configurator applies settings.
type Configurator struct {
	cfg Config
	log logging.Leveled
}

// New returns a configurator that logs each step to log (a *zap.Logger,
// or nil for none).
func New(cfg Config, log logging.Leveled) *Configurator {
	if cfg.Root == "" {
		cfg.Root = "/"
	}
	return &Configurator{cfg: cfg, log: logging.OrNop(log)}
}

// Run applies inst and returns one result per step, in order. Every
// file is reached inside cfg.Root as a chroot would reach it: links in
// the tree (absolute or climbing with "..") never lead outside it.
func (c *Configurator) Run(ctx context.Context, inst *lyconf.Instance) []Step {
	var steps []Step
	root, err := atomicfile.OpenRoot(c.cfg.Root)
	if err != nil {
		for _, n := range []string{"passwd_hash", "public_key", "nameservers"} {
			steps = append(steps, Step{Name: n, Status: Failed, Detail: err.Error()})
		}
	} else {
		defer root.Close()
		steps = append(steps,
			c.passwd(root, inst.PasswdHash),
			c.publicKey(root, inst.PublicKey),
			c.nameservers(ctx, root, inst))
		steps = append(steps, c.identity(ctx, root)...)
	}
	if ctx.Err() == nil {
		steps = append(steps, c.network(inst.Network)...)
	}
	for _, s := range steps {
		c.log.Info("step", logging.String("component", "osc"), logging.String("step", s.Name), logging.String("status", string(s.Status)), logging.String("detail", s.Detail))
	}
	return steps
}

func result(name string, r atomicfile.Result, err error, dry, what string) Step {
	switch {
	case err != nil:
		return Step{Name: name, Status: Failed, Detail: err.Error()}
	case r == atomicfile.Unchanged:
		return Step{Name: name, Status: Unchanged}
	case dry != "":
		return Step{Name: name, Status: Changed, Detail: "dry run: would " + dry}
	default:
		return Step{Name: name, Status: Changed, Detail: what}
	}
}

func (c *Configurator) dry(s string) string {
	if c.cfg.DryRun {
		return s
	}
	return ""
}

func (c *Configurator) passwd(root *atomicfile.Root, h *string) Step {
	const name = "passwd_hash"
	switch {
	case h == nil:
		return Step{Name: name, Status: Skipped, Detail: "not set"}
	case *h == "":
		return Step{Name: name, Status: Skipped, Detail: "empty"}
	}
	if err := shadow.ValidateHash(*h); err != nil {
		return Step{Name: name, Status: Failed, Detail: "rejected, not a crypt(3) hash: " + err.Error()}
	}
	r, err := shadow.Update(root, *h, c.cfg.DryRun)
	return result(name, r, err, c.dry("replace root's hash in "+root.Path(shadow.Path)), "")
}

func (c *Configurator) publicKey(root *atomicfile.Root, k *string) Step {
	const name = "public_key"
	switch {
	case k == nil:
		return Step{Name: name, Status: Skipped, Detail: "not set"}
	case strings.TrimSpace(*k) == "":
		return Step{Name: name, Status: Skipped, Detail: "empty"}
	}
	keys, err := authkeys.Render(*k)
	if err != nil {
		return Step{Name: name, Status: Failed, Detail: "rejected: " + err.Error()}
	}
	r, err := authkeys.Update(root, keys.Content, c.cfg.DryRun)
	s := result(name, r, err, c.dry(fmt.Sprintf("write %s (%d keys)", root.Path(authkeys.Path), keys.Keys)), "")
	if s.Status != Failed && len(keys.Refused) > 0 {
		// The valid keys are in place; the refused lines make the step
		// fail so that the owner hears of them.
		done := "were written"
		switch {
		case c.cfg.DryRun:
			done = "would be written (dry run)"
		case s.Status == Unchanged:
			done = "are in place"
		}
		s = Step{Name: name, Status: Failed, Detail: fmt.Sprintf("refused %s; the %d valid key(s) %s",
			authkeys.RefusedList(keys.Refused), keys.Keys, done)}
	}
	return s
}

func (c *Configurator) nameservers(ctx context.Context, root *atomicfile.Root, inst *lyconf.Instance) Step {
	const name = "nameservers"
	if inst.Nameservers == nil {
		return Step{Name: name, Status: Skipped, Detail: "not set"}
	}
	list := inst.NameserverList()
	if len(list) == 0 {
		return Step{Name: name, Status: Skipped, Detail: "empty"}
	}
	if _, err := resolvconf.Render(list); err != nil {
		return Step{Name: name, Status: Failed, Detail: "rejected: " + err.Error()}
	}
	p, err := resolvconf.Decide(root, list)
	if err != nil {
		return Step{Name: name, Status: Failed, Detail: err.Error()}
	}
	var what string
	switch p.Target {
	case resolvconf.Resolved:
		what = fmt.Sprintf("resolv.conf links to %s: DNS= in the systemd-resolved drop-in %s", p.LinkTo, p.Path)
	case resolvconf.Resolvconf:
		what = fmt.Sprintf("resolv.conf links to %s: nameserver lines in resolvconf's %s", p.LinkTo, p.Path)
	case resolvconf.Link:
		what = fmt.Sprintf("resolv.conf linked to %s: replaced by a file", p.LinkTo)
	}
	r, err := resolvconf.Apply(root, p, c.cfg.DryRun)
	dry := fmt.Sprintf("write %s (%d name servers)", root.Path(p.Path), len(list))
	if what != "" {
		dry += "; " + what
	}
	s := result(name, r, err, c.dry(dry), what)
	if s.Status == Changed && !c.cfg.DryRun && p.Service() != "" {
		switch {
		case c.cfg.Reload == nil:
			s.Detail += "; read when " + p.Service() + " starts"
		case ctx.Err() == nil:
			if err := c.cfg.Reload(ctx, p.Service()); err != nil {
				return Step{Name: name, Status: Failed, Detail: what + "; written, but " + err.Error()}
			}
			s.Detail += "; " + p.Service() + " told to re-read it"
		}
	}
	return s
}

func (c *Configurator) network(nics []lyconf.NIC) []Step {
	switch {
	case c.cfg.NoNetwork:
		return []Step{{Name: "network", Status: Skipped, Detail: "--no-network"}}
	case len(nics) == 0:
		return []Step{{Name: "network", Status: Skipped, Detail: "no network settings; interfaces left to the distribution"}}
	case c.cfg.Net == nil:
		return []Step{{Name: "network", Status: Failed, Detail: "no access to the network interfaces"}}
	}
	snap, err := c.cfg.Net.Snapshot()
	if err != nil {
		return []Step{{Name: "network", Status: Failed, Detail: err.Error()}}
	}
	plans := netconf.Plan(nics, snap)
	// DHCP clients are stopped first, and the interfaces looked at again:
	// a client may take its address away as it exits.
	stopped := map[int][]string{}
	failed := map[int]error{}
	if !c.cfg.DryRun {
		for _, p := range plans {
			for _, a := range p.Actions {
				if a.Kind != netconf.StopClient {
					continue
				}
				if err := netconf.Apply(c.cfg.Net, []netconf.Action{a}); err != nil {
					failed[p.Index] = err
				} else {
					stopped[p.Index] = append(stopped[p.Index], a.String())
				}
			}
		}
		if len(stopped)+len(failed) > 0 {
			if snap, err = c.cfg.Net.Snapshot(); err != nil {
				return []Step{{Name: "network", Status: Failed, Detail: err.Error()}}
			}
			plans = netconf.Plan(nics, snap)
		}
	}
	var steps []Step
	for _, p := range plans {
		steps = append(steps, c.nic(p, stopped[p.Index], failed[p.Index]))
	}
	return steps
}

// nic carries out one NIC's plan; done lists the DHCP clients already
// stopped for it, stopErr why one could not be.
func (c *Configurator) nic(p netconf.NICPlan, done []string, stopErr error) Step {
	name := fmt.Sprintf("nic%d", p.Index)
	switch {
	case p.Skip != "":
		return Step{Name: name, Status: Skipped, Detail: p.Skip}
	case p.Err != nil:
		return Step{Name: name, Status: Failed, Detail: "network: " + p.Err.Error()}
	}
	matched := fmt.Sprintf("%s by %s", p.Link.Name, p.MatchBy)
	for _, n := range p.Notes {
		matched += "; " + n
	}
	what := append([]string(nil), done...)
	for _, a := range p.Actions {
		what = append(what, a.String())
	}
	switch {
	case stopErr != nil:
		return Step{Name: name, Status: Failed, Detail: "network: " + matched + ": " + stopErr.Error()}
	case len(what) == 0:
		return Step{Name: name, Status: Unchanged, Detail: matched}
	case c.cfg.DryRun:
		return Step{Name: name, Status: Changed, Detail: "dry run: would " + strings.Join(what, ", ") + "; " + matched}
	}
	if err := netconf.Apply(c.cfg.Net, p.Actions); err != nil {
		return Step{Name: name, Status: Failed, Detail: "network: " + matched + ": " + err.Error()}
	}
	return Step{Name: name, Status: Changed, Detail: strings.Join(what, ", ") + "; " + matched}
}

// identity runs the identity's steps (hostname, machine_id, host_keys).
func (c *Configurator) identity(ctx context.Context, root *atomicfile.Root) []Step {
	if c.cfg.Identity == nil {
		return nil
	}
	ic := *c.cfg.Identity
	ic.DryRun = ic.DryRun || c.cfg.DryRun
	var steps []Step
	for _, s := range identity.Run(ctx, root, ic) {
		steps = append(steps, Step{Name: s.Name, Status: Status(s.Status), Detail: s.Detail})
	}
	return steps
}
