// Command fakedaemon stands in for web, webssh and osm (its name is the
// base name of argv[0]) in the tests of osmanager.sh: it records "NAME
// ARGS" in $LUOYUN_DIR/calls (without --background and --pidfile FILE),
// starts as the real ones do (pkg/daemon: --background, --pidfile), says
// it is ready as they do, and runs until SIGTERM. When FAKE_DIE names it,
// it fails at once with one error line.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/luoyun/osmanager/pkg/bootlog"
	"github.com/luoyun/osmanager/pkg/daemon"
)

func main() {
	name := filepath.Base(os.Args[0])
	o := daemon.Options{Name: name}
	var rest []string
	for i := 1; i < len(os.Args); i++ {
		switch a := os.Args[i]; {
		case a == "--background":
			o.Background = true
		case a == "--pidfile" && i+1 < len(os.Args):
			o.Pidfile = os.Args[i+1]
			i++
		default:
			rest = append(rest, a)
		}
	}
	if _, child := os.LookupEnv("LUOYUN_BACKGROUND_OUT"); child || !o.Background { // not a --background parent
		f, err := os.OpenFile(filepath.Join(os.Getenv("LUOYUN_DIR"), "calls"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err == nil {
			fmt.Fprintln(f, strings.Join(append([]string{name}, rest...), " "))
			f.Close()
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	p, done, err := daemon.Start(o, os.Args, os.Stdout, os.Stderr)
	if done || err != nil {
		code := 0
		if e, ok := err.(*daemon.ExitError); ok {
			code = e.Code
		} else if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			code = 1
		}
		os.Exit(code)
	}
	if strings.Contains(" "+os.Getenv("FAKE_DIE")+" ", " "+name+" ") {
		fmt.Println(name + ": starting")
		fmt.Fprintln(os.Stderr, name+": cannot listen: no luck")
		p.Close()
		os.Exit(1)
	}
	ready := bootlog.Listening("127.0.0.1:1" + name)
	if name == "osm" {
		ready = bootlog.Running(os.Getpid())
	}
	p.Ready(os.Stdout, ready)
	<-ctx.Done()
	p.Close()
}
