// Package termtest starts the web terminals the bench tools are tested
// against: this repository's webssh and Debian's shellinaboxd, each
// running /bin/sh on loopback for the length of a test.
package termtest

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"os/user"
	"strconv"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/logtest"
	"github.com/luoyun/osmanager/internal/servetest"
	"github.com/luoyun/osmanager/pkg/webssh"
)

// Name is a host name webssh accepts besides its address, for pages
// opened by name (a browser resolving it to 127.0.0.1) over plain http.
const Name = "instance.test"

// Webssh serves webssh running /bin/sh and returns its page URL.
func Webssh(t testing.TB) string {
	t.Helper()
	s, err := webssh.New(webssh.Config{
		Addr:         "127.0.0.1:0",
		Command:      []string{"/bin/sh"},
		AllowedHosts: []string{Name},
		MaxSessions:  4,
		Grace:        500 * time.Millisecond,
	}, logtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	servetest.Start(t, s)
	return s.URL()
}

// Shellinabox runs Debian's shellinaboxd with /bin/sh as the current user
// and returns its page URL; it skips the test when shellinaboxd is not
// installed.
func Shellinabox(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("shellinaboxd")
	if err != nil {
		t.Skip("shellinaboxd not installed (apt-get install shellinabox): skipping the comparison server")
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-t", "--localhost-only", "--no-beep", "-p", strconv.Itoa(port),
		"-s", "/:"+u.Username+":"+g.Name+":/:/bin/sh")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return fmt.Sprintf("http://%s/", addr)
		}
		select {
		case <-exited:
			t.Fatalf("shellinaboxd exited: %s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("shellinaboxd does not listen on %s: %s", addr, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
