package websshcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/luoyun/osmanager/pkg/bootlog"
	"github.com/luoyun/osmanager/pkg/cli"
	"github.com/luoyun/osmanager/pkg/daemon"
	"github.com/luoyun/osmanager/pkg/hostname"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/lyconf"
	"github.com/luoyun/osmanager/pkg/memtrim"
	"github.com/luoyun/osmanager/pkg/settings"
	"github.com/luoyun/osmanager/pkg/webssh"
)

const about = `Serve a browser terminal on the instance: each visitor gets the login
command (settings webssh.command, default /bin/login) on a pseudo terminal.`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := cli.New("webssh", "[options]", about)
	confPath := c.Flags.StringP("config", "c", lyconf.DefaultPath, "instance configuration (luoyun.conf)")
	port := c.Flags.IntP("port", "p", 0, fmt.Sprintf("TCP port (default: JSON webssh.port, else settings webssh.port, %d)", settings.Defaults().WebSSH.Port))
	logFile := c.Flags.StringP("log", "l", "/LuoYun/log/webssh.log", "log file")
	listenAddr := c.Flags.String("listen-addr", "", "address to listen on (default all addresses)")
	debug := c.Flags.Bool("debug", false, "log to stdout at debug level")
	dopts := daemon.Flags(c.Flags, "webssh")
	// One P: a PTY and a websocket per session need no more, and a
	// second one's caches would stay in its idle memory.
	dopts.Procs = 1
	if done, err := c.Parse(args, stdout); done || err != nil {
		return err
	}
	if err := c.NoArgs(); err != nil {
		return err
	}
	set, err := c.Settings(dopts.Warnings(stderr), settings.SectionWebSSH, settings.SectionLog, settings.SectionMemory)
	if err != nil {
		return err
	}

	proc, done, err := daemon.Start(*dopts, os.Args, stdout, stderr)
	if done || err != nil {
		return err
	}
	defer proc.Close()

	// A missing default luoyun.conf is no reason to refuse a terminal; a
	// file named with -c must exist.
	var inst *lyconf.Instance
	conf, err := lyconf.Load(*confPath)
	switch {
	case err == nil:
		inst = &conf.Instance
	case errors.Is(err, fs.ErrNotExist) && !c.Flags.Changed("config"):
	default:
		return err
	}
	if inst != nil && inst.WebSSH.Disabled() {
		fmt.Fprintln(stdout, "web ssh disabled")
		// A clean start that ends at once: systemd (Type=notify) then
		// sees it stop, not fail.
		if err := daemon.Notify("READY=1"); err != nil {
			fmt.Fprintf(stdout, "%s%v\n", bootlog.WarningPrefix, err)
		}
		return nil
	}

	if c.Flags.Changed("port") && (*port < 1 || *port > 65535) {
		return c.Usagef("-p/--port must be 1..65535, got %d", *port)
	}
	p, portFrom, portWarn := settings.WebSSHPortFrom(*port, inst, set.WebSSH.Port)

	log, closeLog, err := logging.New(logging.Options{File: *logFile, MaxSizeMB: set.Log.MaxSizeMB,
		MaxBackups: set.Log.MaxBackups, Debug: *debug, Stdout: stdout})
	if err != nil {
		return err
	}
	defer closeLog()

	command := set.WebSSH.Command
	if set.WebSSH.LoginFront && len(command) == 1 && command[0] == "/bin/login" {
		// webssh asks the user name itself and hands over to login (or,
		// for root shut out by /etc/securetty, to su): docs/webssh.md.
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("own path for the login front: %w", err)
		}
		command = loginFrontCommand(exe)
	}
	transfer, err := transferConfig(set.WebSSH, command, log)
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(*listenAddr, strconv.Itoa(p))
	srv, err := webssh.New(webssh.Config{
		Addr:           addr,
		Command:        command,
		MaxSessions:    set.WebSSH.MaxSessions,
		PromptTimeout:  promptTimeout(set.WebSSH.Command),
		IdleTimeout:    set.WebSSH.IdleTimeout.D(),
		AllowedOrigins: set.WebSSH.AllowedOrigins,
		AllowedHosts:   append(domainNames(inst), set.WebSSH.AllowedHosts...),
		TrustedProxies: set.WebSSH.TrustedProxies,
		TLSCert:        set.WebSSH.TLSCert,
		TLSKey:         set.WebSSH.TLSKey,
		Title:          hostname.Name(inst, nil),
		Transfer:       transfer,
	}, log)
	if err != nil {
		return err
	}
	if err := srv.Listen(); err != nil {
		return cli.ListenError(addr, err)
	}
	if conf != nil {
		if err := conf.Err("JSON"); err != nil {
			log.Warn(err.Error())
		}
	}
	if portWarn != nil {
		log.Warn("luoyun.conf: " + portWarn.Error())
	}
	if portFrom == settings.PortFromCloud && p != set.WebSSH.Port {
		log.Info("luoyun.conf: " + settings.CloudPortWins(p, set.WebSSH.Port))
	}
	proc.Ready(stdout, bootlog.Listening(srv.Addr().String()))
	memtrim.Start(ctx, memtrim.Config{Every: set.Memory.TrimInterval.D(), TrimKey: set.Memory.TrimSet}, log)
	log.Info("webssh starting", logging.String("addr", srv.Addr().String()))
	err = srv.Serve(ctx)
	log.Info("webssh stopped")
	return err
}

// domainNames returns the names in JSON domain.name (the front end
// publishes the instance under it), split on commas and spaces.
func domainNames(inst *lyconf.Instance) []string {
	if inst == nil || inst.Domain == nil {
		return nil
	}
	return strings.FieldsFunc(inst.Domain.Name, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// loginFrontCommand is the command that runs the login front of the
// binary exe: "exe login", or "exe webssh login" when exe is not named
// webssh, as in the one-binary flavour (cmd/luoyun), where the link
// bin/webssh resolves to bin/luoyun.
func loginFrontCommand(exe string) []string { return verbCommand(exe, "login") }

// verbCommand runs webssh's verb with the binary exe (see
// loginFrontCommand).
func verbCommand(exe, verb string) []string {
	if filepath.Base(exe) != "webssh" {
		return []string{exe, "webssh", verb}
	}
	return []string{exe, verb}
}
