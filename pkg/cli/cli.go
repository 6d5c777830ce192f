// Package cli is the command-line convention shared by the OS manager's
// five binaries: GNU-style short and long options (spf13/pflag),
// --settings, --version and -h/--help; usage errors exit 2, runtime errors
// exit 1 with one clear line on stderr.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/luoyun/osmanager/pkg/settings"
	"github.com/luoyun/osmanager/pkg/version"
)

// Command is one binary's option set.
type Command struct {
	// Flags holds the command's own options; add them before Parse.
	Flags *pflag.FlagSet

	name, usage, about string
	settingsPath       string
	help, showVersion  bool
}

// New returns a command named name. usage is the synopsis line after the
// name ("[options]"), about a paragraph printed under it by --help.
func New(name, usage, about string) *Command {
	c := &Command{name: name, usage: usage, about: about}
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.BoolVarP(&c.help, "help", "h", false, "show this help and exit")
	fs.BoolVar(&c.showVersion, "version", false, "print the version and exit")
	fs.StringVar(&c.settingsPath, "settings", settings.DefaultPath, "tunables file (TOML); missing default file = built-in defaults")
	c.Flags = fs
	return c
}

// Name returns the command's name.
func (c *Command) Name() string { return c.name }

// Parse parses args. It reports done when --help or --version was given
// and has been answered on stdout; the caller then returns nil. A bad
// option is a *UsageError.
func (c *Command) Parse(args []string, stdout io.Writer) (done bool, err error) {
	if err := c.Flags.Parse(args); err != nil {
		return false, &UsageError{Err: err}
	}
	switch {
	case c.help:
		c.PrintHelp(stdout)
		return true, nil
	case c.showVersion:
		fmt.Fprintln(stdout, version.String(c.name))
		return true, nil
	}
	return false, nil
}

// NoArgs returns a *UsageError when positional arguments were given, for
// commands that take none.
func (c *Command) NoArgs() error {
	if c.Flags.NArg() > 0 {
		return Usagef("unexpected argument %q", c.Flags.Arg(0))
	}
	return nil
}

// PrintHelp writes the usage text.
func (c *Command) PrintHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s %s\n\n", c.name, c.usage)
	if c.about != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(c.about))
	}
	fmt.Fprintf(w, "Options:\n%s", c.Flags.FlagUsages())
}

// Settings loads the tunables: the default path may be missing, a path
// given with --settings must exist.
func (c *Command) Settings() (settings.Settings, error) {
	explicit := c.Flags.Changed("settings")
	return settings.Load(c.settingsPath, !explicit)
}

// UsageError is a mistake on the command line; it exits with status 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a *UsageError.
func Usagef(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...)}
}

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// ExitCode turns run's error into the process exit status, writing one
// line about it to stderr: nothing for success or cancellation (a signal
// is a normal way to stop), "NAME: message" for a failure, and a hint to
// --help for a usage error.
func ExitCode(name string, err error, stderr io.Writer) int {
	var ue *UsageError
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n", name, Message(name, err), name)
		return ExitUsage
	default:
		fmt.Fprintf(stderr, "%s: %s\n", name, Message(name, err))
		return ExitFailure
	}
}

// Message is err's text as one line for the command name: joined errors
// separated by "; ", and without a leading "name: " that a library put
// there (so the line never reads "osm: osm: ..."). The last word of name
// counts too: "osm clc" drops a leading "clc: ".
func Message(name string, err error) string {
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
	short := name[strings.LastIndexByte(name, ' ')+1:]
	for _, p := range []string{name + ": ", short + ": "} {
		for strings.HasPrefix(msg, p) {
			msg = strings.TrimPrefix(msg, p)
		}
	}
	return msg
}
