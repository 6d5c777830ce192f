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
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/luoyun/osmanager/pkg/release"
	"github.com/luoyun/osmanager/pkg/settings"
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
		return false, &UsageError{Err: flagError(err), Command: c.name}
	}
	switch {
	case c.help:
		c.PrintHelp(stdout)
		return true, nil
	case c.showVersion:
		fmt.Fprintln(stdout, release.String(c.name))
		return true, nil
	}
	return false, nil
}

// NoArgs returns a *UsageError when positional arguments were given, for
// commands that take none.
func (c *Command) NoArgs() error {
	if c.Flags.NArg() > 0 {
		return c.Usagef("unexpected argument %q", c.Flags.Arg(0))
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

// Settings loads the tunables for a component that uses the sections use
// (settings.SectionWeb, ...). A mistake in one of them is the error: the
// component alone refuses to start, with one line naming the file, the
// line, the key and the closest known key; except in a section that only
// tunes it (settings.Tuning: [memory]), where the mistake is a warning
// line and the default stands in. Mistakes in other sections are
// not its business: at most one warning line on stderr. A file that cannot
// be read or is not TOML is an error. The default path may be missing; a
// path given with --settings must exist.
func (c *Command) Settings(stderr io.Writer, use ...string) (settings.Settings, error) {
	s, problems, err := settings.Load(c.settingsPath, !c.Flags.Changed("settings"))
	if err != nil {
		return s, err
	}
	mine, others := settings.Split(problems, use...)
	var own, tuning []*settings.Problem
	for _, p := range mine {
		if settings.Tuning(p.Section) {
			tuning = append(tuning, p)
		} else {
			own = append(own, p)
		}
	}
	c.warnDefaults(stderr, tuning)
	c.warnOthers(stderr, others)
	if len(own) > 0 {
		if len(own) > 1 {
			return s, fmt.Errorf("%w (and %d more in its settings)", own[0], len(own)-1)
		}
		return s, own[0]
	}
	return s, nil
}

// SettingsOrDefaults is Settings for a component that must never fail
// because of the settings file (floppyconf, osc): a mistake in its own
// sections is a warning line and the default stands in; a file that
// cannot be read or is not TOML is one warning line and all defaults.
func (c *Command) SettingsOrDefaults(stderr io.Writer, use ...string) settings.Settings {
	s, problems, err := settings.Load(c.settingsPath, !c.Flags.Changed("settings"))
	if err != nil {
		fmt.Fprintf(stderr, "%s: warning: %s; going on with the built-in defaults\n", c.name, Message(c.name, err))
		return s
	}
	own, others := settings.Split(problems, use...)
	c.warnDefaults(stderr, own)
	c.warnOthers(stderr, others)
	return s
}

// warnDefaults writes a warning line per mistake in a section the command
// uses but does not stop for, with the default that stands in.
func (c *Command) warnDefaults(stderr io.Writer, problems []*settings.Problem) {
	for _, p := range problems {
		line := p.Error()
		if p.Default != "" {
			line += "; using the default " + p.Default
		}
		fmt.Fprintf(stderr, "%s: warning: %s\n", c.name, line)
	}
}

// warnOthers writes one line about the mistakes in sections the command
// does not use.
func (c *Command) warnOthers(stderr io.Writer, others []*settings.Problem) {
	switch len(others) {
	case 0:
	case 1:
		fmt.Fprintf(stderr, "%s: warning: ignoring a mistake in settings %s does not use: %v\n", c.name, c.name, others[0])
	default:
		fmt.Fprintf(stderr, "%s: warning: ignoring %d mistakes in settings %s does not use; the first: %v\n", c.name, len(others), c.name, others[0])
	}
}

// Usagef returns a *UsageError of this command: its --help is the one
// the error line points to ("osm clc --help", not "osm --help").
func (c *Command) Usagef(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...), Command: c.name}
}

// flagError says what is wrong with an option's value in words, without
// the parser's internals (strconv.ParseInt: parsing "abc": invalid syntax).
func flagError(err error) error {
	var ive *pflag.InvalidValueError
	if !errors.As(err, &ive) || ive.GetFlag() == nil {
		return err
	}
	f := ive.GetFlag()
	name := "--" + f.Name
	if f.Shorthand != "" {
		name = "-" + f.Shorthand + "/" + name
	}
	v := strconv.Quote(ive.GetValue())
	switch t := f.Value.Type(); {
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return fmt.Errorf("%s: %s is out of range", name, v)
		}
		return fmt.Errorf("%s: %s is not a whole number", name, v)
	case t == "duration":
		return fmt.Errorf("%s: %s is not a duration (write it like \"5s\" or \"1m\")", name, v)
	case t == "bool":
		return fmt.Errorf("%s: %s is not true or false", name, v)
	}
	return fmt.Errorf("%s: %s: %v", name, v, errors.Unwrap(err))
}

// UsageError is a mistake on the command line; it exits with status 2.
type UsageError struct {
	Err error
	// Command is the command whose --help explains it ("osm clc");
	// ExitCode's name when empty.
	Command string
}

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
	var st interface{ ExitStatus() int }
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return ExitOK
	case errors.As(err, &st):
		return st.ExitStatus() // what went wrong has been said
	case errors.As(err, &ue):
		if ue.Command != "" {
			name = ue.Command
		}
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
