// Package treecmd is the command line of install.sh, uninstall.sh and
// upgrade.sh, which run it as osc's verbs:
//
//	osc install   --tree DIR [--init auto|systemd|upstart|sysv] [--root DIR] [--force]
//	osc uninstall --tree DIR [--root DIR]
//	osc upgrade   --tree DIR [--root IMG] [DEST]
//
// --tree is the directory of the script (the tree it belongs to). Lines
// go to stdout, the last one "NAME success..." (exit 0) or "NAME
// failed: ..." (exit 1); a usage mistake is one line on stderr, exit 2.
// The work is done by pkg/install and pkg/treeswitch.
package treecmd

import (
	"fmt"
	"io"
	"strings"
)

// flags is a parsed command line: values of the options that take one,
// the options given alone, and the positional arguments.
type flags struct {
	values map[string]string
	set    map[string]bool
	args   []string
}

// usageError is a mistake on the command line: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// parse reads args: withValue and alone name the options ("--root").
func parse(script string, args []string, withValue, alone []string) (flags, error) {
	f := flags{values: map[string]string{}, set: map[string]bool{}}
	has := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, eq := strings.Cut(a, "=")
		switch {
		case a == "-h" || a == "--help":
			f.set["help"] = true
		case has(withValue, name) && eq:
			f.values[name] = val
		case has(withValue, a):
			if i+1 >= len(args) {
				return f, usageError{fmt.Sprintf("%s: %s needs a value", script, a)}
			}
			f.values[a] = args[i+1]
			i++
		case has(alone, a):
			f.set[a] = true
		case strings.HasPrefix(a, "-") && a != "-":
			return f, usageError{fmt.Sprintf("%s: unknown option %s (see --help)", script, a)}
		default:
			f.args = append(f.args, a)
		}
	}
	return f, nil
}

// exit writes err as the command's failure line, or a usage line, and
// returns the exit status.
func exit(verb string, err error, stdout, stderr io.Writer) int {
	if ue, ok := err.(usageError); ok {
		fmt.Fprintln(stderr, ue.msg)
		return 2
	}
	fmt.Fprintf(stdout, "%s failed: %v\n", verb, err)
	return 1
}
