package webssh

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/luoyun/osmanager/pkg/filexfer"
	"github.com/luoyun/osmanager/pkg/logging"
	"golang.org/x/sys/unix"
)

// startTransferSocket listens on the socket `webssh get` talks to and
// serves it until ctx ends; the returned function stops it and waits.
// Without a socket (or when it cannot be made) downloads are off; the
// terminal runs anyway.
func (s *Server) startTransferSocket(ctx context.Context) func() {
	path := s.cfg.Transfer.Socket
	if !s.cfg.Transfer.on() || path == "" {
		return func() {}
	}
	ln, err := listenSocket(path)
	if err != nil {
		s.log.Warn("no downloads: `webssh get` has no socket", logging.Error(err))
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.AcceptUnix()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				s.serveGet(ctx, c)
			}()
		}
	}()
	return func() {
		cancel()
		ln.Close()
		<-done
	}
}

// listenSocket makes the socket: its directory is created when missing
// (0755), a stale socket replaced, and everyone may connect (the server
// checks who did).
func listenSocket(path string) (*net.UnixListener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		_ = os.Remove(path)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o666); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// serveGet takes one file from `webssh get` and offers it to the page of
// the session the command runs in.
func (s *Server) serveGet(ctx context.Context, c *net.UnixConn) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	req, f, cred, err := filexfer.Receive(c)
	if err != nil {
		_ = filexfer.WriteReply(c, filexfer.Reply{Error: err.Error()})
		return
	}
	defer f.Close()
	xs := s.xfer.sessionOf(int(cred.Pid))
	if xs == nil {
		_ = filexfer.WriteReply(c, filexfer.Reply{Error: "not run in a web terminal session"})
		return
	}
	name := filexfer.CleanName(req.Name)
	login, err := xs.loginUser()
	if err != nil {
		_ = filexfer.WriteReply(c, filexfer.Reply{Error: err.Error()})
		return
	}
	log := xs.log.With(logging.String("user", userName(login.Uid)), logging.String("direction", "download"),
		logging.String("as", userName(cred.Uid)))
	size, err := checkOffered(f, s.cfg.Transfer.MaxBytes)
	if err != nil {
		log.Info("file transfer refused", logging.String("name", name), logging.Error(err))
		_ = filexfer.WriteReply(c, filexfer.Reply{Error: err.Error()})
		return
	}
	if !xs.down.CompareAndSwap(false, true) {
		_ = filexfer.WriteReply(c, filexfer.Reply{Error: "another download is running in this terminal"})
		return
	}
	defer xs.down.Store(false)
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		_ = filexfer.WriteReply(c, filexfer.Reply{Error: err.Error()})
		return
	}
	tok := hex.EncodeToString(b[:])
	o := &offer{f: f, name: name, size: size, taken: make(chan struct{}), result: make(chan error, 1)}
	xs.mu.Lock()
	xs.offer[tok] = o
	xs.mu.Unlock()
	withdraw := func() bool {
		xs.mu.Lock()
		defer xs.mu.Unlock()
		_, ok := xs.offer[tok]
		delete(xs.offer, tok)
		return ok
	}
	_ = c.SetDeadline(time.Time{})
	if err := filexfer.WriteReply(c, filexfer.Reply{Token: tok, Size: size}); err != nil {
		withdraw()
		return
	}
	wait := s.cfg.Transfer.OfferTimeout
	if wait <= 0 {
		wait = time.Minute
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-o.taken:
	case <-timer.C:
		if withdraw() {
			log.Info("file transfer failed", logging.String("name", name), logging.Int64("size", size), logging.String("error", "the page did not fetch it"))
			_ = filexfer.WriteReply(c, filexfer.Reply{Error: fmt.Sprintf("the browser did not fetch it within %s (is this a webssh page?)", wait)})
			return
		}
		<-o.taken
	case <-xs.ended:
		if withdraw() {
			_ = filexfer.WriteReply(c, filexfer.Reply{Error: "the terminal session has ended"})
			return
		}
		<-o.taken
	case <-ctx.Done():
		if withdraw() {
			_ = filexfer.WriteReply(c, filexfer.Reply{Error: "the web terminal is shutting down"})
			return
		}
		<-o.taken
	}
	start := time.Now()
	if err := <-o.result; err != nil {
		log.Info("file transfer failed", logging.String("name", name), logging.Int64("size", size), logging.Error(err))
		_ = filexfer.WriteReply(c, filexfer.Reply{Error: "the browser did not get it all: " + err.Error()})
		return
	}
	log.Info("file transferred", logging.String("name", name), logging.Int64("size", size), logging.Duration("duration", time.Since(start)))
	_ = filexfer.WriteReply(c, filexfer.Reply{Done: true, Sent: size})
}

// checkOffered returns the size of a handed-over file: a regular file
// opened for reading, at most max bytes.
func checkOffered(f *os.File, max int64) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, errors.New("not a regular file")
	}
	fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	if err != nil {
		return 0, err
	}
	if fl&unix.O_ACCMODE == unix.O_WRONLY || fl&unix.O_PATH != 0 {
		return 0, errors.New("not open for reading")
	}
	if fi.Size() > max {
		return 0, fmt.Errorf("the file (%s) is larger than the limit (%s)", filexfer.Size(fi.Size()), filexfer.Size(max))
	}
	return fi.Size(), nil
}
