package osmcmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/luoyun/osmanager/pkg/bootlog"
	"github.com/luoyun/osmanager/pkg/cli"
	"github.com/luoyun/osmanager/pkg/daemon"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/lyconf"
	"github.com/luoyun/osmanager/pkg/memtrim"
	"github.com/luoyun/osmanager/pkg/osm"
	"github.com/luoyun/osmanager/pkg/settings"
)

const about = `Keeps this instance registered with the LuoYun Cloud Controller: finds it
(CLC_IP/CLC_PORT, else multicast joins on CLC_MCAST_IP:CLC_MCAST_PORT),
authenticates both ways with KEY, registers, and reports the exit code of
<script dir>/status every status_interval. SIGHUP re-reads the config.

"osm clc --help" describes the controller simulator, "osm status --help"
the health report of osmanager.sh status and "osm stop --help" how the
daemons are stopped ("osc boot --help": how they are started).`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "clc" {
		return runCLC(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 {
		switch args[0] {
		case "status":
			return runStatus(ctx, args[1:], stdout)
		case "stop":
			return runStop(ctx, args[1:], stdout)
		}
	}
	c := cli.New("osm", "[options] | clc [options]", about)
	confPath := c.Flags.StringP("config", "c", lyconf.DefaultPath, "instance configuration (luoyun.conf)")
	logPath := c.Flags.StringP("log", "l", "/LuoYun/log/luoyun.log", "log file")
	scriptDir := c.Flags.StringP("script", "s", "/LuoYun/custom/scripts", "directory of the status script")
	statePath := c.Flags.String("state", "", fmt.Sprintf("state file (default: settings osm.state_file, %s)", settings.Defaults().OSM.StateFile))
	debug := c.Flags.Bool("debug", false, "log to stdout at debug level")
	dopts := daemon.Flags(c.Flags, "osm")
	// One P: one connection and a status script every few seconds need
	// no more, and a second one's caches would stay in its idle memory.
	dopts.Procs = 1
	if done, err := c.Parse(args, stdout); done || err != nil {
		return err
	}
	if err := c.NoArgs(); err != nil {
		return err
	}
	set, err := c.Settings(dopts.Warnings(stderr), settings.SectionOSM, settings.SectionLog, settings.SectionMemory)
	if err != nil {
		return err
	}
	if !c.Flags.Changed("state") {
		*statePath = set.OSM.StateFile
	}
	proc, done, err := daemon.Start(*dopts, os.Args, stdout, stderr)
	if done || err != nil {
		return err
	}
	defer proc.Close()
	log, closeLog, err := logging.New(logging.Options{
		File: *logPath, MaxSizeMB: set.Log.MaxSizeMB, MaxBackups: set.Log.MaxBackups,
		Debug: *debug, Stdout: stdout,
	})
	if err != nil {
		return err
	}
	defer closeLog()
	agent, err := osm.New(osm.Config{
		ConfPath:        *confPath,
		ScriptDir:       *scriptDir,
		StateFile:       *statePath,
		StatusInterval:  set.OSM.StatusInterval.D(),
		StatusTimeout:   set.OSM.StatusTimeout.D(),
		ReconnectMin:    set.OSM.ReconnectMin.D(),
		ReconnectMax:    set.OSM.ReconnectMax.D(),
		DiscoveryWindow: set.OSM.DiscoveryWindow.D(),
		Ready: func() {
			proc.Ready(stdout, bootlog.Running(os.Getpid()))
			memtrim.Start(ctx, memtrim.Config{Every: set.Memory.TrimInterval.D(), TrimKey: set.Memory.TrimSet}, log)
		},
	}, log)
	if err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				log.Info("SIGHUP: reloading configuration")
				agent.Reload()
			}
		}
	}()
	log.Info("starting", logging.String("config", *confPath), logging.String("scripts", *scriptDir), logging.Int("pid", os.Getpid()))
	// Lines osm cannot use but can do without (a typo, a line without
	// '=') are said once here; a bad line it needs stops it in agent.Run;
	// the JSON is none of its business.
	if conf, err := lyconf.Load(*confPath); err == nil {
		for _, p := range conf.Problems {
			if p.Key != "JSON" {
				log.Warn(p.Error())
			}
		}
	}
	return agent.Run(ctx)
}
