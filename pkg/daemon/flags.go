package daemon

import (
	"io"
	"os"

	"github.com/spf13/pflag"
)

// Flags adds --background and --pidfile to a daemon's flag set and
// returns the Options they fill (name and procs set by the caller).
func Flags(fs *pflag.FlagSet, name string) *Options {
	o := &Options{Name: name}
	fs.BoolVar(&o.Background, "background", false, "start in the background; return once ready (exit 0), or with the child's exit status and its error line")
	fs.StringVar(&o.Pidfile, "pidfile", "", "record the process in this pid file (and its identity in FILE.id); output in the background goes to FILE's .out")
	return o
}

// Warnings returns w, or io.Discard in the parent of a --background
// start: its child says the same warnings, once.
func (o *Options) Warnings(w io.Writer) io.Writer {
	if _, child := os.LookupEnv(childEnv); o.Background && !child {
		return io.Discard
	}
	return w
}
