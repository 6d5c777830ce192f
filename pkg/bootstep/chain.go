// Package bootstep runs the steps of osmanager.sh's boot chain: a
// command with a time limit whose output is logged line by line
// (log/osmanager.log and stdout) and whose outcome is recorded (run/boot),
// a daemon's --background start, and the daemons' stop. `osc boot`
// (internal/bootcmd) and `osm stop` are its command line.
package bootstep

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/luoyun/osmanager/pkg/bootlog"
	"github.com/luoyun/osmanager/pkg/cli"
	"github.com/luoyun/osmanager/pkg/settings"
)

// Chain is one tree's boot chain.
type Chain struct {
	// Dir is the tree (LUOYUN_DIR).
	Dir string
	// Log is osmanager.log, and stdout.
	Log *bootlog.Log
	// Rec is run/boot; a zero Record when this run is not recorded.
	Rec bootlog.Record
	// Now is the clock.
	Now func() time.Time
	// Builtins are commands linked into this process, by name: a run
	// step whose command is the tree's own Dir/bin/NAME, for a NAME
	// here, calls it in this process instead of starting one (a Go
	// process start costs 3-5 ms of a boot). Nil: every step is a
	// process.
	Builtins map[string]cli.MainFunc

	rot *lumberjack.Logger
}

// Close closes the log file.
func (c *Chain) Close() {
	if c.rot != nil {
		c.rot.Close()
	}
}

// Settings is the tree's settings file, custom/osmanager.toml.
func (c *Chain) Settings() string { return filepath.Join(c.Dir, "custom", "osmanager.toml") }

// CheckSettings logs every mistake in the settings file, whichever
// section it is in, as a warning ("settings: FILE line N: ..."), so that
// a start says at once what another component would stop for later. It
// returns how many there are.
func (c *Chain) CheckSettings() int {
	_, problems, err := settings.Load(c.Settings(), true)
	if err != nil {
		c.Log.Printf(bootlog.Warn, "settings: "+err.Error())
		return 1
	}
	for _, p := range problems {
		c.Log.Printf(bootlog.Warn, "settings: "+p.Error())
	}
	return len(problems)
}

// New returns the chain of dir, logging to stdout and log/osmanager.log
// (rotated as the daemons' logs are, by the settings' [log]), recording
// in run/boot when record is set. It makes log/ and run/, and conf/ (mode
// 0700) when missing. Close it when done.
func New(dir string, record bool, stdout io.Writer) *Chain {
	c := &Chain{Dir: dir, Log: &bootlog.Log{Out: stdout}, Now: time.Now}
	logs := filepath.Join(dir, "log")
	os.MkdirAll(filepath.Join(dir, "run"), 0o755)
	if _, err := os.Stat(filepath.Join(dir, "conf")); err != nil {
		os.Mkdir(filepath.Join(dir, "conf"), 0o700)
	}
	if err := os.MkdirAll(logs, 0o755); err != nil {
		c.Log.Printf(bootlog.Warn, "cannot create "+logs+"; logging to stdout only")
	} else {
		c.Log.File = filepath.Join(logs, "osmanager.log")
		// Below 1 MiB, the least max_size_mb, the log cannot be due for
		// rotation: most runs neither read the settings nor rotate.
		if fi, err := os.Stat(c.Log.File); err == nil && fi.Size() >= 1<<20-64<<10 {
			set, _, _ := settings.Load(c.Settings(), true) // mistakes: CheckSettings
			c.rot = &lumberjack.Logger{Filename: c.Log.File, MaxSize: max(set.Log.MaxSizeMB, 1), MaxBackups: set.Log.MaxBackups}
			c.Log.W = c.rot
		}
	}
	if record {
		c.Rec.Path = filepath.Join(dir, "run", bootlog.BootFile)
	}
	return c
}

// Run is the directory of pid and output files.
func (c *Chain) Run() string { return filepath.Join(c.Dir, "run") }

// record adds a step's outcome to run/boot, now.
func (c *Chain) record(name, outcome, msg string) {
	c.Rec.Add(name, c.Now(), outcome, msg)
}

// Begin opens a new boot record and says so, unless quiet (osconfig).
func (c *Chain) Begin(root string, quiet bool) {
	c.Rec.Begin(c.Now(), c.Dir)
	if quiet {
		return
	}
	c.Log.Printf(bootlog.Info, fmt.Sprintf("osmanager: starting (tree %s, root %s)", c.Dir, root))
}

// End closes the boot record: ok, or failed when failed is set. With
// quiet (osconfig, the first half of the boot under upstart and
// systemd), nothing is logged and the record says "osconfig".
func (c *Chain) End(failed, quiet bool) {
	switch {
	case quiet && !failed:
		c.record("boot", bootlog.OK, "osconfig done")
	case quiet:
		c.record("boot", bootlog.Failed, "osconfig, with failures")
	case !failed:
		c.Log.Printf(bootlog.Info, "osmanager: started")
		c.record("boot", bootlog.OK, "started")
	default:
		c.Log.Printf(bootlog.Error, "osmanager: started, with failures (see above)")
		c.record("boot", bootlog.Failed, "started, with failures")
	}
}

// executable reports whether path is a file that can be run.
func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// nonEmpty reports whether path is a file with something in it.
func nonEmpty(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Size() > 0
}
