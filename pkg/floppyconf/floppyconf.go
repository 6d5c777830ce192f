// Package floppyconf copies luoyun.ini from the configuration floppy to
// luoyun.conf: it waits for the floppy device (loading the floppy driver
// if the node is missing), reads the file without mounting anything,
// parses it, and replaces luoyun.conf atomically, mode 0600, only when the
// content differs. A line that cannot be used (a JSON line that is not
// JSON, a line without '=', an unknown key) is reported, not fatal: the
// file is still written and each component takes what it can. On any
// failure the existing luoyun.conf is left as it was.
package floppyconf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/luoyun/osmanager/pkg/atomicfile"
	"github.com/luoyun/osmanager/pkg/clock"
	"github.com/luoyun/osmanager/pkg/floppy"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/lyconf"
)

// Runner runs an external command; modprobe goes through it so tests can
// stand in for the kernel.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) error
}

// ExecRunner runs commands with os/exec.
type ExecRunner struct{}

// Run runs name with args and returns its error with its output.
func (ExecRunner) Run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		cmd := strings.Join(append([]string{name}, args...), " ")
		// Its own words when it said any ("modprobe: FATAL: ..."), once.
		if msg := strings.TrimPrefix(strings.TrimSpace(string(out)), name+": "); msg != "" {
			return fmt.Errorf("%s: %s", cmd, msg)
		}
		return fmt.Errorf("%s: %w", cmd, err)
	}
	return nil
}

// Config says where to read and write.
type Config struct {
	// Device is the floppy block device, an image file, or a directory
	// where a floppy is mounted.
	Device string
	// Dest is luoyun.conf.
	Dest string
	// Wait is how long to wait for a missing device node to appear.
	Wait time.Duration
	// Poll is how often to look for the device node; 50ms when zero.
	Poll time.Duration
	// Runner loads the floppy driver; ExecRunner when nil.
	Runner Runner
	// DevDir is where device nodes live ("/dev" when empty). Only a
	// missing Device under it is waited for (after loading the driver);
	// a missing image file elsewhere is an error at once.
	DevDir string
	// Clock times the wait; the system clock when nil.
	Clock clock.Clock
}

// Validate checks the config.
func (c *Config) Validate() error {
	if c.Device == "" {
		return errors.New("no floppy device given")
	}
	if c.Dest == "" {
		return errors.New("no destination given")
	}
	if c.Wait < 0 {
		return fmt.Errorf("wait must not be negative, got %s", c.Wait)
	}
	return nil
}

// Outcome is what Update did.
type Outcome struct {
	// Result says whether luoyun.conf was rewritten.
	Result atomicfile.Result
	// Problems lists the lines of luoyun.ini that cannot be used as
	// written (their text never quotes the KEY); the file was written
	// all the same.
	Problems []*lyconf.ParseError
}

// Update reads luoyun.ini from cfg.Device and writes it to cfg.Dest when
// it differs. log (a *zap.Logger, or nil for none) gets debug lines.
func Update(ctx context.Context, cfg Config, log logging.Leveled) (Outcome, error) {
	log = logging.OrNop(log)
	var out Outcome
	if err := cfg.Validate(); err != nil {
		return out, err
	}
	if err := waitDevice(ctx, cfg, log); err != nil {
		return out, err
	}
	data, info, err := floppy.ReadSource(cfg.Device)
	if err != nil {
		return out, fmt.Errorf("read floppy: %w", err)
	}
	log.Debug("read floppy", logging.String("device", cfg.Device), logging.String("name", info.Name),
		logging.Int64("size", info.Size), logging.String("method", string(info.Method)), logging.Int("fat", info.FATBits))
	out.Problems, err = Check(data)
	if err != nil {
		return out, fmt.Errorf("%s on %s: %w", floppy.FileName, cfg.Device, err)
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Dest), 0o700); err != nil {
		return out, fmt.Errorf("write %s: %w", cfg.Dest, err)
	}
	// ForceMode: the file holds KEY, so even a luoyun.conf left
	// world-readable by an older OS manager becomes 0600.
	res, err := atomicfile.Write(cfg.Dest, data, atomicfile.Options{Mode: 0o600, ForceMode: true})
	if err != nil {
		return out, fmt.Errorf("write %s: %w", cfg.Dest, err)
	}
	out.Result = res
	log.Debug("luoyun.conf", logging.String("dest", cfg.Dest), logging.Stringer("result", res))
	return out, nil
}

// Check parses data as luoyun.ini. It returns the lines that cannot be
// used as written, each naming luoyun.ini and its line, and an error only
// when the file is of no use at all (empty, or too large).
func Check(data []byte) ([]*lyconf.ParseError, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("file is empty")
	}
	c, err := lyconf.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	c.SetFile(floppy.FileName)
	return c.Problems, nil
}

// waitDevice makes sure cfg.Device exists: when it does not, it loads the
// floppy driver and polls for the node until cfg.Wait has passed.
func waitDevice(ctx context.Context, cfg Config, log logging.Leveled) error {
	if _, err := os.Stat(cfg.Device); !errors.Is(err, fs.ErrNotExist) {
		return nil // present, or an error ReadSource will report
	}
	devDir := cfg.DevDir
	if devDir == "" {
		devDir = "/dev"
	}
	if rel, err := filepath.Rel(devDir, filepath.Clean(cfg.Device)); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("no floppy: %s does not exist", cfg.Device)
	}
	run := cfg.Runner
	if run == nil {
		run = ExecRunner{}
	}
	modErr := run.Run(ctx, "modprobe", "floppy")
	if modErr != nil {
		log.Debug("modprobe floppy failed", logging.Error(modErr))
	}
	poll := cfg.Poll
	if poll <= 0 {
		poll = 50 * time.Millisecond
	}
	clk := clock.Or(cfg.Clock)
	deadline := clk.NewTimer(cfg.Wait)
	defer deadline.Stop()
	tick := clk.NewTicker(poll)
	defer tick.Stop()
	for {
		if _, err := os.Stat(cfg.Device); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C():
			msg := fmt.Sprintf("no floppy: %s did not appear within %s", cfg.Device, cfg.Wait)
			if modErr != nil {
				msg += fmt.Sprintf(" (%v)", oneLine(modErr))
			}
			return errors.New(msg)
		case <-tick.C():
		}
	}
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
