// Package identity gives each instance its own identity on its first
// boot: new SSH host keys of the types the image has, a fresh
// etc/machine-id and the host name from the cloud's domain name. The
// identity is the TAG alone: a record beside luoyun.conf
// (conf/identity.json, pkg/idrecord) says which TAG it was made for, and the same
// instance booting again changes nothing. Every file is edited inside a
// root resolved as a chroot would (pkg/atomicfile Root).
package identity

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/luoyun/osmanager/pkg/atomicfile"
	"github.com/luoyun/osmanager/pkg/idrecord"
)

// Items says which parts of the identity are made ([osc] host_keys,
// machine_id, hostname).
type Items struct {
	HostKeys, MachineID, Hostname bool
}

// Reloader tells a running sshd to load new host keys (SSHD).
type Reloader interface {
	Reload(ctx context.Context) (string, error)
}

// Config says what to make and where.
type Config struct {
	// Enabled is [osc] identity: false skips everything.
	Enabled bool
	// Items are the parts to make.
	Items Items
	// Tag is this boot's TAG; HasTag whether luoyun.conf holds one.
	Tag    int
	HasTag bool
	// Previous is the TAG luoyun.conf held before this boot ("" for none
	// or no file), as osmanager.sh read it before the floppy; nil when
	// unknown, and luoyun.conf is then taken as held before this boot.
	Previous *string
	// Record is the record's path (idrecord.Path).
	Record string
	// DomainName is the JSON domain.name; "" when not given.
	DomainName string
	// DryRun says what would change and changes nothing.
	DryRun bool
	// SetHostname sets the kernel's host name; nil under --root.
	SetHostname func(name string) error
	// SSHD reloads a running sshd after new keys; nil under --root.
	SSHD Reloader
}

// Step outcomes, as pkg/osc prints them.
const (
	Changed   = "changed"
	Unchanged = "unchanged"
	Skipped   = "skipped"
	Failed    = "error"
)

// Step is the outcome of one part.
type Step struct {
	Name   string // hostname, machine_id or host_keys
	Status string // Changed, Unchanged, Skipped or Failed
	Detail string
}

// Step names, as the [osc] switches are named.
const (
	StepHostname  = "hostname"
	StepMachineID = "machine_id"
	StepHostKeys  = "host_keys"
)

// FirstBoot reports whether this boot is the first of its instance, and
// why: the record names another TAG; or there is no record (or a damaged
// one) and luoyun.conf held no TAG or another one before this boot.
func (c Config) FirstBoot(rec *idrecord.Record) (bool, string) {
	tag := strconv.Itoa(c.Tag)
	if rec != nil {
		if rec.Tag == c.Tag {
			return false, "TAG " + tag + " configured before"
		}
		return true, fmt.Sprintf("new TAG %s (was %d)", tag, rec.Tag)
	}
	if c.Previous == nil {
		return false, "TAG " + tag + " already in luoyun.conf: recorded, nothing made"
	}
	prev := strings.TrimSpace(*c.Previous)
	if n, err := strconv.Atoi(prev); err == nil && n == c.Tag {
		return false, "TAG " + tag + " already in luoyun.conf before this boot: recorded, nothing made"
	}
	if prev == "" {
		return true, "first boot, TAG " + tag
	}
	return true, "new TAG " + tag
}

// Run makes the identity when this boot is the instance's first, and
// records it; otherwise it only brings the record up to date. It returns
// one step per part: hostname, machine_id, host_keys.
func Run(ctx context.Context, root *atomicfile.Root, c Config) []Step {
	names := []string{StepHostname, StepMachineID, StepHostKeys}
	all := func(status, detail string) []Step {
		out := make([]Step, len(names))
		for i, n := range names {
			out[i] = Step{Name: n, Status: status, Detail: detail}
		}
		return out
	}
	switch {
	case !c.Enabled:
		return all(Skipped, "settings [osc] identity = false")
	case !c.HasTag:
		return all(Skipped, "no TAG in luoyun.conf")
	}
	var rec *idrecord.Record
	old, err := idrecord.Read(c.Record)
	note := ""
	switch {
	case err == nil:
		rec = &old
	case !errors.Is(err, fs.ErrNotExist):
		note = fmt.Sprintf(" (record unreadable, taken as none: %v)", err)
	}
	first, why := c.FirstBoot(rec)
	why += note
	if !first {
		return c.keep(root, rec, why)
	}
	r := &run{c: c, root: root, why: why}
	steps := []Step{r.hostname(), r.machineID(), r.hostKeys(ctx)}
	if c.DryRun {
		return steps
	}
	for _, s := range steps {
		if s.Status == Failed {
			// No record: the next boot makes the identity again.
			return steps
		}
	}
	keys := r.keys
	if keys == nil {
		keys, _ = CurrentHostKeys(root) // host_keys off or none: what is there
	}
	if _, err := idrecord.Write(c.Record, idrecord.Record{Tag: c.Tag, HostKeys: keys, Hostname: r.label}); err != nil {
		return append(steps[:2], Step{Name: StepHostKeys, Status: Failed, Detail: "identity made, but not recorded: " + err.Error()})
	}
	return steps
}

// keep is a boot that is not the instance's first: nothing is made; the
// record is written when missing or out of date.
func (c Config) keep(root *atomicfile.Root, rec *idrecord.Record, why string) []Step {
	keys, kerr := CurrentHostKeys(root)
	nr := idrecord.Record{Tag: c.Tag, HostKeys: keys}
	if rec != nil {
		nr.Hostname = rec.Hostname
	}
	ks := Step{Name: StepHostKeys, Status: Unchanged, Detail: why}
	switch {
	case kerr != nil:
		ks = Step{Name: StepHostKeys, Status: Failed, Detail: kerr.Error()}
	case len(keys) > 0:
		ks.Detail += "; " + idrecord.Fingerprints(keys)
	}
	if kerr == nil && !c.DryRun && (rec == nil || string(rec.Marshal()) != string(nr.Marshal())) {
		if _, err := idrecord.Write(c.Record, nr); err != nil {
			ks = Step{Name: StepHostKeys, Status: Failed, Detail: err.Error()}
		}
	}
	if !c.Items.HostKeys && ks.Status != Failed {
		ks = off(StepHostKeys)
	}
	steps := []Step{{Name: StepHostname, Status: Unchanged, Detail: why}, {Name: StepMachineID, Status: Unchanged, Detail: why}, ks}
	if !c.Items.Hostname {
		steps[0] = off(StepHostname)
	}
	if !c.Items.MachineID {
		steps[1] = off(StepMachineID)
	}
	return steps
}

// run is one first boot's work.
type run struct {
	c     Config
	root  *atomicfile.Root
	why   string
	label string             // the host name set, for the record and the keys' comment
	keys  []idrecord.HostKey // the new host keys
}

func off(name string) Step {
	return Step{Name: name, Status: Skipped, Detail: "settings [osc] " + name + " = false"}
}

func (r *run) hostname() Step {
	const name = StepHostname
	switch {
	case !r.c.Items.Hostname:
		return off(name)
	case strings.TrimSpace(r.c.DomainName) == "":
		return Step{Name: name, Status: Skipped, Detail: "no domain name"}
	}
	fqdn, label, err := ParseHostName(strings.TrimSpace(r.c.DomainName))
	if err != nil {
		return Step{Name: name, Status: Skipped, Detail: fmt.Sprintf("domain name %q is not a host name (RFC 1123): %v", r.c.DomainName, err)}
	}
	r.label = label
	hosts, err := r.root.ReadFile(HostsFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Step{Name: name, Status: Failed, Detail: err.Error()}
	}
	line := HostsLine(fqdn, label)
	what := fmt.Sprintf("%s: %s, %s (%s)", label, HostnameFile, HostsFile, strings.Join(strings.Fields(line), " "))
	if r.c.SetHostname != nil {
		what += ", the kernel's"
	}
	if r.c.DryRun {
		return Step{Name: name, Status: Changed, Detail: "dry run: would set " + what + "; " + r.why}
	}
	r1, err := r.root.Write(HostnameFile, []byte(label+"\n"), atomicfile.Options{Mode: 0o644})
	if err != nil {
		return Step{Name: name, Status: Failed, Detail: err.Error()}
	}
	r2, err := r.root.Write(HostsFile, SetHostsLine(hosts, line), atomicfile.Options{Mode: 0o644})
	if err != nil {
		return Step{Name: name, Status: Failed, Detail: err.Error()}
	}
	status := Unchanged
	if r1 == atomicfile.Changed || r2 == atomicfile.Changed {
		status = Changed
	}
	if r.c.SetHostname != nil {
		if h, err := os.Hostname(); err != nil || h != label {
			if err := r.c.SetHostname(label); err != nil {
				return Step{Name: name, Status: Failed, Detail: "files written, but the kernel's host name: " + err.Error()}
			}
			status = Changed
		}
	}
	return Step{Name: name, Status: status, Detail: what + "; " + r.why}
}

func (r *run) machineID() Step {
	const name = StepMachineID
	if !r.c.Items.MachineID {
		return off(name)
	}
	st, err := ReadMachineID(r.root)
	switch {
	case err != nil:
		return Step{Name: name, Status: Failed, Detail: err.Error()}
	case st == NoMachineID:
		return Step{Name: name, Status: Skipped, Detail: "no " + MachineIDFile}
	case st == EmptyMachineID:
		return Step{Name: name, Status: Skipped, Detail: MachineIDFile + " is empty: systemd makes the id at boot"}
	case r.c.DryRun:
		return Step{Name: name, Status: Changed, Detail: "dry run: would write a new id to " + MachineIDFile + "; " + r.why}
	}
	id, err := NewMachineID()
	if err == nil {
		err = WriteMachineID(r.root, id)
	}
	if err != nil {
		return Step{Name: name, Status: Failed, Detail: err.Error()}
	}
	return Step{Name: name, Status: Changed, Detail: "new id in " + MachineIDFile + "; " + r.why}
}

func (r *run) hostKeys(ctx context.Context) Step {
	const name = StepHostKeys
	if !r.c.Items.HostKeys {
		return off(name)
	}
	types, err := PresentKeys(r.root)
	switch {
	case err != nil:
		return Step{Name: name, Status: Failed, Detail: err.Error()}
	case len(types) == 0:
		return Step{Name: name, Status: Skipped, Detail: "no host keys in " + SSHDir}
	case r.c.DryRun:
		return Step{Name: name, Status: Changed, Detail: "dry run: would make new " + strings.Join(types, ", ") + " keys; " + r.why}
	}
	keys, err := RegenerateHostKeys(r.root, r.comment())
	r.keys = keys
	if err != nil {
		return Step{Name: name, Status: Failed, Detail: err.Error()}
	}
	what := idrecord.Fingerprints(keys) + "; " + r.why
	if r.c.SSHD != nil && ctx.Err() == nil {
		done, err := r.c.SSHD.Reload(ctx)
		if err != nil {
			return Step{Name: name, Status: Failed, Detail: "keys written (" + idrecord.Fingerprints(keys) + "), but " + err.Error()}
		}
		what += "; " + done
	}
	return Step{Name: name, Status: Changed, Detail: what}
}

// comment is the new keys' comment, as ssh-keygen -A writes it:
// root@ and the host name.
func (r *run) comment() string {
	h := r.label
	if h == "" {
		b, _ := r.root.ReadFile(HostnameFile)
		if _, l, err := ParseHostName(strings.TrimSpace(string(b))); err == nil {
			h = l
		}
	}
	if h == "" {
		return ""
	}
	return "root@" + h
}

// Files the host name goes to, relative to the root.
const (
	HostnameFile = "etc/hostname"
	HostsFile    = "etc/hosts"
)
