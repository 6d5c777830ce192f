package daemon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/luoyun/osmanager/pkg/bootlog"
	"github.com/luoyun/osmanager/pkg/procinfo"
)

// childEnv marks the child of a --background start; its value is the
// file the child's output goes to once it is ready ("" = /dev/null).
const childEnv = "LUOYUN_BACKGROUND_OUT"

// procsEnv marks a child that Spawn started with GOMAXPROCS=1 because the
// caller had set none: the child's runtime starts on one P (a second P's
// caches, filled at start-up, would stay in its idle memory), and Start
// then sets the daemon's own count (Options.Procs) and takes both
// variables out of its environment, so that nothing it runs inherits
// them.
const procsEnv = "LUOYUN_BACKGROUND_PROCS"

// Options say how a daemon starts.
type Options struct {
	// Name is the daemon's name (web, webssh, osm), for messages.
	Name string
	// Pidfile records the process (see WritePidfile); "" for none.
	Pidfile string
	// Background starts the daemon as a child in a session of its own
	// and returns once it is ready.
	Background bool
	// Procs is GOMAXPROCS when the caller's environment sets none; 0 is
	// one per core.
	Procs int
}

// ExitError is the exit status of a --background parent whose child
// ended before it was ready; the child's lines have been copied to the
// parent's stderr already.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return "exit status " + strconv.Itoa(e.Code) }

// Process is a started daemon: call Ready once it serves, Close when it
// ends.
type Process struct {
	pidfile string
	out     string // the child's output file once ready
	child   bool   // a --background child: stdout and stderr are the parent's pipe
	pipeSig chan os.Signal
}

// Start begins a daemon's main. For a --background parent it starts the
// child and waits for it: done is true, and err is nil once the child is
// ready (its ready line copied to stdout) or an *ExitError. Otherwise it
// checks and writes the pid file and returns the Process.
//
// args are the process's whole command line (os.Args); the child is the
// same binary run with them (see selfPath). In the child, or without
// Background, Start sets GOMAXPROCS (Options.Procs) and claims the pid
// file.
func Start(o Options, args []string, stdout, stderr io.Writer) (p *Process, done bool, err error) {
	out, child := os.LookupEnv(childEnv)
	if o.Background && !child {
		return nil, true, background(o, args, stdout, stderr)
	}
	p = &Process{pidfile: o.Pidfile, out: out, child: child}
	if child {
		os.Unsetenv(childEnv)
		// A parent killed early must not take the child with it: a write
		// to its pipe then fails instead of raising SIGPIPE.
		p.pipeSig = make(chan os.Signal, 1)
		signal.Notify(p.pipeSig, syscall.SIGPIPE)
	}
	setProcs(o.Procs)
	if o.Pidfile != "" {
		if err := claim(o, stderr); err != nil {
			return nil, false, err
		}
	}
	return p, false, nil
}

// setProcs sets GOMAXPROCS to procs (0: one per core) unless the caller
// set it.
func setProcs(procs int) {
	if _, spawned := os.LookupEnv(procsEnv); spawned {
		os.Unsetenv(procsEnv)
		os.Unsetenv("GOMAXPROCS")
	} else if os.Getenv("GOMAXPROCS") != "" || procs == 0 {
		return // the caller's, or the runtime's own: one per core
	}
	if procs == 0 {
		procs = runtime.NumCPU()
	}
	if procs != runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(procs)
	}
}

// claim writes the pid file unless it names another live process of
// ours; a stale one is reported and replaced.
func claim(o Options, stderr io.Writer) error {
	pid, err := Find(procinfo.Root, o.Pidfile)
	var stale *StaleError
	switch {
	case err == nil && pid != os.Getpid():
		return fmt.Errorf("already running (pid %d, %s)", pid, o.Pidfile)
	case errors.As(err, &stale):
		fmt.Fprintf(stderr, "%s: %s%s: %v; replaced\n", o.Name, bootlog.WarningPrefix, o.Pidfile, stale)
	}
	return WritePidfile(o.Pidfile)
}

// Ready says the daemon serves: line (its bootlog ready line) on stdout,
// READY=1 to systemd, and, in a --background child, the end of the
// parent's wait: stdout and stderr go to the output file from now on.
func (p *Process) Ready(stdout io.Writer, line string) {
	fmt.Fprintln(stdout, line)
	if p.child {
		out := p.out
		if out == "" {
			out = os.DevNull
		}
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			f, err = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		}
		if err == nil {
			syscall.Dup3(int(f.Fd()), 1, 0)
			syscall.Dup3(int(f.Fd()), 2, 0)
			f.Close()
		}
		signal.Stop(p.pipeSig)
	}
	if err := Notify("READY=1"); err != nil {
		fmt.Fprintf(stdout, "%s%v\n", bootlog.WarningPrefix, err)
	}
}

// Close removes the pid file if it still names this process.
func (p *Process) Close() {
	if p != nil && p.pidfile != "" {
		RemoveOwnPidfile(p.pidfile)
	}
}

// background is the parent of a --background start.
func background(o Options, args []string, stdout, stderr io.Writer) error {
	return Spawn(context.Background(), Child{Name: o.Name, Path: selfPath(args), Args: args, Pidfile: o.Pidfile}, stdout, stderr)
}

// Child is a daemon to start in the background.
type Child struct {
	// Name is the daemon's name, for messages.
	Name string
	// Path is the binary, Args its whole command line (with argv[0]).
	Path string
	Args []string
	// Env is its environment (nil: this process's).
	Env []string
	// Pidfile is the pid file the daemon writes (its --pidfile); ""
	// for none. Its output goes to OutFile(Pidfile).
	Pidfile string
}

// Spawn starts c in a session of its own and waits until it is ready:
// the parent's side of the readiness pipe, which a --background start
// and osc boot both are. The child's stdout and stderr are the pipe until
// it calls Ready; Spawn copies its ready line to stdout and every other
// line to stderr (and all of them to the output file), and returns nil
// once it is ready, or an *ExitError when it ended before, or ctx's error
// (the child then still runs). When the pid file names a running process
// of ours, Spawn writes bootlog.AlreadyRunning to stdout and returns nil;
// a stale pid file is reported on stderr and removed.
func Spawn(ctx context.Context, c Child, stdout, stderr io.Writer) error {
	if c.Pidfile != "" {
		pid, err := Find(procinfo.Root, c.Pidfile)
		var stale *StaleError
		switch {
		case err == nil:
			fmt.Fprintln(stdout, bootlog.AlreadyRunning(pid))
			return nil
		case errors.As(err, &stale):
			fmt.Fprintf(stderr, "%s: %s%s: %v; removed\n", c.Name, bootlog.WarningPrefix, c.Pidfile, stale)
			RemovePidfile(c.Pidfile)
		}
	}
	outPath := ""
	var tee io.Writer = io.Discard
	if c.Pidfile != "" {
		outPath = OutFile(c.Pidfile)
		// Appending, as the child does once ready: neither overwrites
		// the other's lines.
		if f, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644); err == nil {
			defer f.Close()
			tee = f
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		w.Close()
		return err
	}
	defer null.Close()
	env := c.Env
	if env == nil {
		env = os.Environ()
	}
	env = append(env[:len(env):len(env)], childEnv+"="+outPath)
	if os.Getenv("GOMAXPROCS") == "" {
		env = append(env, "GOMAXPROCS=1", procsEnv+"=1") // see procsEnv
	}
	cmd := &exec.Cmd{
		Path: c.Path, Args: c.Args, Env: env,
		Stdin: null, Stdout: w, Stderr: w,
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return fmt.Errorf("start in the background: %w", err)
	}
	stopRead := context.AfterFunc(ctx, func() { r.SetReadDeadline(time.Now()) })
	defer stopRead()
	ready := false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l := sc.Text()
		fmt.Fprintln(tee, l)
		if bootlog.IsReady(l) {
			ready = true
			fmt.Fprintln(stdout, l)
			continue
		}
		fmt.Fprintln(stderr, l)
	}
	if ready {
		return cmd.Process.Release()
	}
	if ctx.Err() != nil {
		go cmd.Wait() // it runs on; reap it if it ends while we are here
		return ctx.Err()
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code := ee.ExitCode()
		if code < 0 {
			code = 1 // killed by a signal
		}
		return &ExitError{Code: code}
	}
	if err != nil {
		return err
	}
	return &ExitError{Code: 0} // ended, with success, before it was ready
}

// selfPath is the file to run the child from: argv[0] when it names
// this binary (the kernel names the process after the file run, and a
// multicall binary's link bin/osm must give "osm", which the status
// script looks for in /proc/PID/comm), else /proc/self/exe, this very
// binary even when an upgrade has replaced the file.
func selfPath(args []string) string {
	const self = "/proc/self/exe"
	if len(args) == 0 || !strings.Contains(args[0], "/") {
		if p, err := os.Executable(); err == nil && sameFile(p, self) {
			return p
		}
		return self
	}
	if sameFile(args[0], self) {
		return args[0]
	}
	return self
}

// sameFile reports whether a and b are one file.
func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// OutFile is the output file of a daemon with the pid file pidfile:
// run/NAME.out beside run/NAME.pid.
func OutFile(pidfile string) string {
	if len(pidfile) > 4 && pidfile[len(pidfile)-4:] == ".pid" {
		return pidfile[:len(pidfile)-4] + ".out"
	}
	return pidfile + ".out"
}

// ExitStatus is the exit status the process ends with (pkg/cli).
func (e *ExitError) ExitStatus() int { return e.Code }
