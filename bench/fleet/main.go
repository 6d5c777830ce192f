// Command fleet measures how a fleet of registrars rides out a controller
// restart: N agents (pkg/osm, in this process, each with its own TAG, KEY
// and state) register with one simulated controller (pkg/clcsim, in this
// process, one KEY per TAG); once all are registered the controller is
// stopped for -outage and started again on the same address. It prints
// the time until all N registered again (median and max, counted from
// the moment the controller listened again), and the peak of new
// connections the controller saw in any 100 ms window, as a count and as
// a share of the fleet; also the peak of failed attempts (refused dials)
// in any 100 ms window during the outage.
//
// Usage:
//
//	fleet [-n 1000] [-outage 10s] [-reconnect-min 1s] [-reconnect-max 1m] [-events FILE]
//
// The agents' other settings are the shipped defaults (settings.Defaults).
// -events writes one line per measured event ("back <ns>", "conn <ns>",
// "fail <ns>", "reg <tag> <ns>": nanoseconds since the outage began), from
// which every printed figure can be recomputed. Each agent holds one
// connection, and the controller one per agent: N=1000 needs about 2,100
// file descriptors (Go raises the soft limit to the hard one at start).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/luoyun/osmanager/pkg/settings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "fleet: %v\n", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage: fleet [-n N] [-outage DUR] [-reconnect-min DUR] [-reconnect-max DUR] [-events FILE]")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.n, "n", 1000, "agents in the fleet")
	fs.DurationVar(&o.outage, "outage", 10e9, "how long the controller stays down")
	def := settings.Defaults().OSM
	fs.DurationVar(&o.min, "reconnect-min", def.ReconnectMin.D(), "reconnect_min of every agent")
	fs.DurationVar(&o.max, "reconnect-max", def.ReconnectMax.D(), "reconnect_max of every agent")
	fs.DurationVar(&o.timeout, "timeout", 0, "give up when not all registered this long after the restart (default 3 × reconnect_max + outage)")
	events := fs.String("events", "", "write the measured events to this file")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 0 || o.n < 1 || o.outage < 0 || o.min <= 0 || o.max < o.min {
		return errUsage
	}
	if o.timeout <= 0 {
		o.timeout = 3*o.max + o.outage
	}
	res, err := measure(ctx, o, stderr)
	if err != nil {
		return err
	}
	if *events != "" {
		if err := res.writeEvents(*events); err != nil {
			return err
		}
	}
	res.print(stdout, o)
	return nil
}
