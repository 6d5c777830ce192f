package webcmd

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/luoyun/osmanager/pkg/bootlog"
	"github.com/luoyun/osmanager/pkg/cli"
	"github.com/luoyun/osmanager/pkg/daemon"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/lyconf"
	"github.com/luoyun/osmanager/pkg/memtrim"
	"github.com/luoyun/osmanager/pkg/settings"
	"github.com/luoyun/osmanager/pkg/webpage"
)

const about = `Serves the appliance page. A request with ?cookie=<the instance's cookie>
gets DIR/withcookie/, any other DIR/nocookie/. Text files (html htm txt
css js json xml svg) are templates: $hostname $application $version1 $version2 $curtime $appurl $websshport
$websshurl $osmstatus $osmsince are substituted, other $words kept.
PORT, as a bare argument, is the same as --port PORT.`

// options is the parsed command line.
type options struct {
	page   webpage.Config
	log    logging.Options
	mem    memtrim.Config  // settings [memory]
	daemon *daemon.Options // --background, --pidfile; Procs from settings web.procs
}

// parse reads the command line and the settings; done means --help or
// --version has been answered.
func parse(args []string, stdout, stderr io.Writer) (o options, done bool, err error) {
	cmd := cli.New("web", "[options] [PORT]", about)
	d := webpage.Defaults()
	fl := cmd.Flags
	confPath := fl.StringP("config", "c", lyconf.DefaultPath, "instance configuration (luoyun.conf): cookie, domain.name, webssh.port")
	logPath := fl.StringP("log", "l", "/LuoYun/log/lyweb.log", "log file (rotated)")
	root := fl.StringP("web", "w", d.Root, "www directory holding withcookie/ and nocookie/")
	def := settings.Defaults()
	port := fl.IntP("port", "p", 0, fmt.Sprintf("TCP port (default: settings web.port, %d; 0 with --listen-addr picks a free port)", def.Web.Port))
	buildDir := fl.String("build", d.BuildDir, "appliance build directory holding VERSION")
	state := fl.String("state", "", fmt.Sprintf("registrar state file (default: settings osm.state_file, %s)", def.OSM.StateFile))
	listen := fl.String("listen-addr", "", "address to listen on (default all addresses)")
	sshPort := fl.Int("webssh-port", 0, fmt.Sprintf("the web terminal's port for $websshport/$websshurl, as given to webssh -p (default: JSON webssh.port, else settings webssh.port, %d)", def.WebSSH.Port))
	debug := fl.Bool("debug", false, "log to stdout at debug level instead of the log file")
	dopts := daemon.Flags(fl, "web")
	if done, err := cmd.Parse(args, stdout); done || err != nil {
		return o, done, err
	}
	set, err := cmd.Settings(dopts.Warnings(stderr), settings.SectionWeb, settings.SectionLog, settings.SectionMemory)
	if err != nil {
		return o, false, err
	}

	p := set.Web.Port
	portGiven := fl.Changed("port")
	if portGiven {
		p = *port
	}
	switch rest := fl.Args(); len(rest) {
	case 0:
	case 1:
		n, err := strconv.Atoi(rest[0])
		if err != nil || n < 1 || n > 65535 {
			return o, false, cli.Usagef("PORT must be a number 1..65535, got %q", rest[0])
		}
		if portGiven && n != p {
			return o, false, cli.Usagef("port given twice: --port %d and %d", p, n)
		}
		p = n
	default:
		return o, false, cli.Usagef("too many arguments: %q", rest)
	}
	if p < 0 || p > 65535 || (p == 0 && *listen == "") {
		return o, false, cli.Usagef("port must be 1..65535, got %d", p)
	}

	cfg := d
	cfg.Root = *root
	cfg.ConfigFile = *confPath
	cfg.BuildDir = *buildDir
	cfg.StateFile = set.OSM.StateFile
	if fl.Changed("state") {
		cfg.StateFile = *state
	}
	cfg.Addr = net.JoinHostPort(*listen, strconv.Itoa(p))
	cfg.WebSSHPort = set.WebSSH.Port
	if fl.Changed("webssh-port") {
		if *sshPort < 1 || *sshPort > 65535 {
			return o, false, cmd.Usagef("--webssh-port must be 1..65535, got %d", *sshPort)
		}
		cfg.WebSSHPortExplicit = *sshPort
	}
	if err := cfg.Validate(); err != nil {
		return o, false, cli.Usagef("%v", err)
	}
	dopts.Procs = set.Web.Procs
	return options{
		daemon: dopts,
		mem:    memtrim.Config{Every: set.Memory.TrimInterval.D(), TrimKey: set.Memory.TrimSet},
		page:   cfg,
		log: logging.Options{
			File:       *logPath,
			MaxSizeMB:  set.Log.MaxSizeMB,
			MaxBackups: set.Log.MaxBackups,
			Debug:      *debug,
			Stdout:     stdout,
			FlushEvery: time.Second, // access lines: one write a second, not one per request
		},
	}, false, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, done, err := parse(args, stdout, stderr)
	if done || err != nil {
		return err
	}
	p, done, err := daemon.Start(*o.daemon, os.Args, stdout, stderr)
	if done || err != nil {
		return err
	}
	defer p.Close()
	if os.Getenv("GOGC") == "" {
		// The idle heap is about 1 MB; collecting at 4x instead of 2x of
		// it halves the collections under load and keeps the p99 latency
		// under 10 ms (docs/web.md, "Figures") for a few MB more.
		debug.SetGCPercent(300)
	}
	log, closeLog, err := logging.New(o.log)
	if err != nil {
		return err
	}
	defer closeLog()

	srv, err := webpage.New(o.page, log)
	if err != nil {
		return err
	}
	if err := srv.Listen(); err != nil {
		err = cli.ListenError(o.page.Addr, err)
		log.Error(err.Error())
		return err
	}
	p.Ready(stdout, bootlog.Listening(srv.Addr().String()))
	memtrim.Start(ctx, o.mem, log)
	if err := srv.Serve(ctx); err != nil {
		log.Error("page server failed", logging.Error(err))
		return err
	}
	return nil
}
