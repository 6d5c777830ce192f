package osmcmd

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"

	"go.uber.org/zap/zapcore"

	"github.com/luoyun/osmanager/pkg/clcproto"
	"github.com/luoyun/osmanager/pkg/clcsim"
	"github.com/luoyun/osmanager/pkg/cli"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/lyconf"
)

const clcAbout = `Plays the Cloud Controller for instances that share one KEY (or for a
fleet, each with its own: --keys): sends multicast joins (--mcast),
authenticates, registers (--reply; --flap misbehaves after it), sends
queries and echoes, and prints one line per event on stdout:

  listening addr=127.0.0.1:41234
  auth ok tag=42 from=127.0.0.1:5555
  auth failed tag=42 from=127.0.0.1:5555 reason=wrong-key
  registered tag=42 ip=10.0.2.15 from=127.0.0.1:5555
  register refused tag=42 ip=10.0.2.15 from=127.0.0.1:5555
  report tag=42 status=2000
  query tag=42 job=7 reply="7 42 5 10.0.2.15"
  echo tag=42 ok
  disconnected tag=42 from=127.0.0.1:5555

Diagnostics go to stderr.`

// runCLC is `osm clc`, the controller simulator.
func runCLC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := cli.New("osm clc", "[options] (-c luoyun.conf | --keys FILE)", clcAbout)
	listen := c.Flags.String("listen", "0.0.0.0:1369", "TCP address to accept instances on")
	confPath := c.Flags.StringP("config", "c", "", "take KEY (and TAG) from this luoyun.conf (a file of KEY=... will do)")
	key := c.Flags.String("insecure-key-arg", "", "the KEY on the command line, where every user of the machine sees it (ps): for a throw-away KEY only; prefer -c")
	c.Flags.String("key", "", "") // refused below, with the way to do it
	_ = c.Flags.MarkHidden("key")
	tag := c.Flags.Int("tag", 0, "accept only this TAG; 0 accepts any (default: TAG of -c, else 0)")
	mcast := c.Flags.String("mcast", "", "send JOIN_REQUEST datagrams to GROUP:PORT")
	advertise := c.Flags.String("advertise", "", "IP:PORT put in the join datagrams (default: the listen address)")
	joinEvery := c.Flags.Duration("join-every", 0, "period of join datagrams (default 10s)")
	queryEvery := c.Flags.Duration("query-every", 0, "send a query to each instance this often (0: never)")
	echoEvery := c.Flags.Duration("echo-every", 0, "send an echo request to each instance this often (0: never)")
	reply := c.Flags.Int32("reply", clcproto.RegisterOK, "registration result: 1021 (success) or 1022 (failure)")
	flap := c.Flags.String("flap", "", "misbehave after each registration: drop (close at once) or garbage (send bytes that are not a packet)")
	keysPath := c.Flags.String("keys", "", "a fleet: file of \"TAG KEY\" lines, each instance with its own KEY (instead of -c)")
	debug := c.Flags.Bool("debug", false, "diagnostics at debug level")
	if done, err := c.Parse(args, stdout); done || err != nil {
		return err
	}
	if err := c.NoArgs(); err != nil {
		return err
	}
	if c.Flags.Changed("key") {
		return c.Usagef("--key would show the KEY to every user in the process list: put KEY=... in a file only you can read and give -c FILE (or --insecure-key-arg KEY for a throw-away KEY)")
	}
	cfg := clcsim.Config{MCast: *mcast, Advertise: *advertise, JoinEvery: *joinEvery,
		QueryEvery: *queryEvery, EchoEvery: *echoEvery, Reply: *reply, Flap: *flap}
	switch *flap {
	case "", clcsim.FlapDrop, clcsim.FlapGarbage:
	default:
		return c.Usagef("--flap must be drop or garbage")
	}
	switch {
	case *keysPath != "" && (*confPath != "" || *key != "" || c.Flags.Changed("tag")):
		return c.Usagef("give --keys alone, without -c/--config, --insecure-key-arg or --tag")
	case *keysPath != "":
		f, err := os.Open(*keysPath)
		if err != nil {
			return err
		}
		cfg.Keys, err = clcsim.ParseKeys(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *keysPath, err)
		}
	case *confPath != "" && *key != "":
		return c.Usagef("give -c/--config or --insecure-key-arg, not both")
	case *confPath != "":
		conf, err := lyconf.Load(*confPath)
		if err != nil {
			return err
		}
		if err := conf.Err("TAG", "KEY"); err != nil {
			return err
		}
		cfg.Key = []byte(conf.Key.Reveal())
		if conf.HasTag && !c.Flags.Changed("tag") {
			*tag = conf.Tag
		}
	case *key != "":
		cfg.Key = []byte(*key)
	default:
		return c.Usagef("the KEY is needed: -c luoyun.conf (or a file of KEY=...) or --keys FILE")
	}
	if *tag < 0 || *tag > math.MaxInt32 {
		return c.Usagef("--tag %d out of range", *tag)
	}
	cfg.Tag = int32(*tag)
	if *reply != clcproto.RegisterOK && *reply != clcproto.RegisterFailed {
		return c.Usagef("--reply must be 1021 or 1022")
	}
	level := zapcore.InfoLevel
	if *debug {
		level = zapcore.DebugLevel
	}
	log := logging.FromCore(zapcore.NewCore(logging.NewEncoder(), zapcore.AddSync(stderr), level))
	defer func() { _ = log.Sync() }()
	cfg.Events = func(e clcsim.Event) { fmt.Fprintln(stdout, e.String()) }
	srv, err := clcsim.New(cfg, log)
	if err != nil {
		return err
	}
	if err := srv.Listen(*listen); err != nil {
		return cli.ListenError(*listen, err)
	}
	return srv.Serve(ctx)
}
