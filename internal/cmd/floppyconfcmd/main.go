// Package floppyconfcmd is the command floppyconf: it copies luoyun.ini from
// the configuration floppy to luoyun.conf, or makes a floppy image from a luoyun.ini.
//
//	floppyconf [-d/--device PATH] [-c/--config DEST] [--wait DUR] [--settings FILE]
//	floppyconf --make IMAGE -i/--ini luoyun.ini
//
// PATH is a block device (default /dev/fd0), an image file or a directory
// where a floppy is mounted; DEST defaults to /LuoYun/conf/luoyun.conf.
// It prints "updated" or "unchanged". With --make it writes a 1 MiB image
// in the layout the cloud's compute nodes write.
package floppyconfcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/luoyun/osmanager/pkg/atomicfile"
	"github.com/luoyun/osmanager/pkg/cli"
	"github.com/luoyun/osmanager/pkg/floppy"
	"github.com/luoyun/osmanager/pkg/floppyconf"
	"github.com/luoyun/osmanager/pkg/lyconf"
	"github.com/luoyun/osmanager/pkg/settings"
)

// Main runs the floppyconf command with args (the arguments after the program
// name) until ctx ends and returns its exit status; cmd/floppyconf and the
// multicall binary cmd/luoyun call it.
func Main(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return cli.ExitCode("floppyconf", run(ctx, args, stdout, stderr), stderr)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := cli.New("floppyconf", "[-d PATH] [-c DEST] [--wait DUR] | --make IMAGE -i luoyun.ini",
		`Copy luoyun.ini from the configuration floppy (a block device, an image
file or a mounted directory; nothing is mounted) to luoyun.conf, atomically
and mode 0600, when it differs. Prints "updated" or "unchanged".
With --make, write a 1 MiB floppy image holding the given luoyun.ini, laid
out as the cloud's compute nodes write it.`)
	def := settings.Defaults().Floppy
	device := c.Flags.StringP("device", "d", "", fmt.Sprintf("floppy device, image or directory (default from settings, %s)", def.Device))
	dest := c.Flags.StringP("config", "c", lyconf.DefaultPath, "luoyun.conf to write")
	wait := c.Flags.Duration("wait", 0, fmt.Sprintf("how long to wait for a missing device node (default from settings, %s)", def.Wait))
	mk := c.Flags.String("make", "", "write a floppy image to this path instead of reading one")
	ini := c.Flags.StringP("ini", "i", "", "the luoyun.ini to put in the image (with --make)")
	if done, err := c.Parse(args, stdout); done || err != nil {
		return err
	}
	if err := c.NoArgs(); err != nil {
		return err
	}
	if *mk != "" || *ini != "" {
		if *mk == "" || *ini == "" {
			return cli.Usagef("--make IMAGE and -i/--ini FILE go together")
		}
		return makeImage(*mk, *ini, stdout, stderr)
	}
	// A mistake in the settings never stops the boot chain here.
	s := c.SettingsOrDefaults(stderr, settings.SectionFloppy)
	cfg := floppyconf.Config{Device: s.Floppy.Device, Dest: *dest, Wait: s.Floppy.Wait.D()}
	if c.Flags.Changed("device") {
		cfg.Device = *device
	}
	if c.Flags.Changed("wait") {
		cfg.Wait = *wait
	}
	if err := cfg.Validate(); err != nil {
		return cli.Usagef("%v", err)
	}
	out, err := floppyconf.Update(ctx, cfg, nil)
	warnProblems(stderr, out.Problems)
	if err != nil {
		return err
	}
	if out.Result == atomicfile.Changed {
		fmt.Fprintln(stdout, "updated")
	} else {
		fmt.Fprintln(stdout, "unchanged")
	}
	return nil
}

// warnProblems writes one line per unusable line of luoyun.ini.
func warnProblems(stderr io.Writer, problems []*lyconf.ParseError) {
	for _, p := range problems {
		fmt.Fprintf(stderr, "floppyconf: warning: %v\n", p)
	}
}

func makeImage(image, iniPath string, stdout, stderr io.Writer) error {
	data, err := os.ReadFile(iniPath)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", iniPath, errors.Unwrap(err))
	}
	problems, err := floppyconf.Check(data)
	if err != nil {
		return fmt.Errorf("%s: %w", iniPath, err)
	}
	// The image is written all the same: compute nodes write such lines
	// (JSON=(null)), and an image is how to try them.
	warnProblems(stderr, problems)
	img, err := floppy.Make(data)
	if err != nil {
		return err
	}
	// The image holds KEY: 0600 like luoyun.conf.
	if _, err := atomicfile.Write(image, img, atomicfile.Options{Mode: 0o600, ForceMode: true}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes of %s)\n", image, len(data), floppy.FileName)
	return nil
}
