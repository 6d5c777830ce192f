package webssh

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/luoyun/osmanager/pkg/filexfer"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/procinfo"
	"github.com/luoyun/osmanager/pkg/ptyshell"
	"github.com/luoyun/osmanager/pkg/termbridge"
)

// Files through the terminal (docs/webssh.md, "Files"). Each session of a
// server with transfers on gets an id, announced to its page in the
// output as OSC 5379 ; session=ID ; max=BYTES (no process in the session
// sees it).
// POST /upload (the id in TermHeader, the name in NameHeader, the bytes
// as the body) writes a file into the directory of the terminal's
// foreground program with the rights of the user who logged in, through a
// helper run as that user (filexfer.RunPut). `webssh get FILE` run in the
// terminal hands the open file to the server on a Unix socket and prints
// OSC 5379 ; get=TOKEN; the page fetches it with POST /download (the id
// and TokenHeader).

// Headers of the transfer requests.
const (
	TermHeader  = "X-Webssh-Term"
	NameHeader  = "X-Webssh-Name"
	TokenHeader = "X-Webssh-Token"
)

// TransferConfig turns file transfer on and tunes it.
type TransferConfig struct {
	// MaxBytes is the largest file either way; 0 turns transfers off.
	MaxBytes int64
	// Rate caps each session's transfers, bytes per second over both
	// ways together; 0: no cap.
	Rate int64
	// Helper is the command that writes an upload (webssh's
	// filexfer.PutVerb); it is run with the user's uid, gid and groups
	// and gets filexfer.PutArgs.
	Helper []string
	// Socket is the Unix socket `webssh get` hands files over on; "":
	// no downloads.
	Socket string
	// OfferTimeout is how long a file handed over waits for the page to
	// fetch it; 0: a minute.
	OfferTimeout time.Duration
}

func (c TransferConfig) on() bool { return c.MaxBytes > 0 && len(c.Helper) > 0 }

// transfers is the table of sessions that take transfers.
type transfers struct {
	mu    sync.Mutex
	byID  map[string]*xsession
	byPid map[int]*xsession
}

// xsession is one session's transfer state.
type xsession struct {
	id    string
	sh    *ptyshell.Shell
	log   *logging.Logger
	pace  filexfer.Pacer
	up    atomic.Bool   // an upload runs
	down  atomic.Bool   // a download is offered or runs
	ended chan struct{} // closed when the session ends
	mu    sync.Mutex
	offer map[string]*offer
}

// offer is a file handed over by `webssh get`, waiting for the page.
type offer struct {
	f      *os.File
	name   string
	size   int64
	taken  chan struct{} // closed when the page asks for it
	result chan error    // the download's outcome, once taken
}

// announced is the session's shell with the announcement of its id
// ahead of its output.
type announced struct {
	*ptyshell.Shell
	hello []byte
}

func (a *announced) Read(p []byte) (int, error) {
	if len(a.hello) > 0 {
		n := copy(p, a.hello)
		a.hello = a.hello[n:]
		return n, nil
	}
	return a.Shell.Read(p)
}

// openTransfers registers a new session for transfers and returns the
// shell the bridge should read (announcing the id to the page) and a
// function that unregisters it. Without transfers it returns sh.
func (s *Server) openTransfers(sh *ptyshell.Shell, log *logging.Logger) (termbridge.Shell, func()) {
	if !s.cfg.Transfer.on() {
		return sh, func() {}
	}
	id, err := newSessionID()
	if err != nil {
		log.Warn("no file transfer for this session", logging.Error(err))
		return sh, func() {}
	}
	xs := &xsession{id: id, sh: sh, log: log, pace: filexfer.Pacer{Rate: s.cfg.Transfer.Rate}, offer: map[string]*offer{}, ended: make(chan struct{})}
	t := &s.xfer
	t.mu.Lock()
	if t.byID == nil {
		t.byID, t.byPid = map[string]*xsession{}, map[int]*xsession{}
	}
	t.byID[id], t.byPid[sh.Pid()] = xs, xs
	t.mu.Unlock()
	hello := fmt.Appendf(nil, "\x1b]%d;session=%s;max=%d\x07", filexfer.OSC, id, s.cfg.Transfer.MaxBytes)
	return &announced{Shell: sh, hello: hello}, func() {
		t.mu.Lock()
		delete(t.byID, id)
		delete(t.byPid, sh.Pid())
		t.mu.Unlock()
		close(xs.ended)
	}
}

func (t *transfers) get(id string) *xsession {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byID[id]
}

// sessionOf returns the session pid runs in: the one whose command is pid
// or an ancestor of it.
func (t *transfers) sessionOf(pid int) *xsession {
	for _, p := range filexfer.Ancestors(procinfo.Root, pid) {
		t.mu.Lock()
		xs := t.byPid[p]
		t.mu.Unlock()
		if xs != nil {
			return xs
		}
	}
	return nil
}

// loginUser returns the credentials of the user who logged in on xs's
// terminal, or filexfer.ErrNotLoggedIn.
func (xs *xsession) loginUser() (filexfer.Cred, error) {
	if !xs.sh.PastLogin() {
		return filexfer.Cred{}, filexfer.ErrNotLoggedIn
	}
	return filexfer.LoginShell(procinfo.Root, xs.sh.Pid(), xs.sh.Auth())
}

// userName names uid for people and the log.
func userName(uid uint32) string {
	if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		return u.Username
	}
	return "uid " + strconv.FormatUint(uint64(uid), 10)
}

// transferRoutes adds the transfer endpoints.
func (s *Server) transferRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /upload", s.serveUpload)
	mux.HandleFunc("POST /download", s.serveDownload)
}

// transferSession answers a transfer request's admission: the same Host
// and Origin checks as the terminal, then the session named by
// TermHeader. nil when refused (answered).
func (s *Server) transferSession(w http.ResponseWriter, r *http.Request) *xsession {
	w.Header().Set("Cache-Control", "no-store")
	if err := s.checkRequest(r); err != nil {
		s.log.Warn("transfer refused", logging.String("remote", r.RemoteAddr), logging.String("host", r.Host),
			logging.String("origin", r.Header.Get("Origin")), logging.Error(err))
		http.Error(w, "403 forbidden: "+err.Error(), http.StatusForbidden)
		return nil
	}
	if !s.cfg.Transfer.on() {
		http.Error(w, "file transfer is off on this server", http.StatusNotFound)
		return nil
	}
	xs := s.xfer.get(r.Header.Get(TermHeader))
	if xs == nil {
		http.Error(w, "no such terminal session (it has ended)", http.StatusNotFound)
		return nil
	}
	return xs
}

// uploadResult is the answer to an upload.
type uploadResult struct {
	Name string `json:"name"`
	Dir  string `json:"dir"`
	Size int64  `json:"size"`
}

func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	// A refusal is answered before the body is read; the body is then
	// read and dropped (up to the proxy's 128 MiB), so that a proxy that
	// buffered it all (the cloud's nginx) gets the answer, not a reset.
	rc := http.NewResponseController(w)
	_ = rc.EnableFullDuplex()
	defer func() {
		_ = rc.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, _ = io.CopyN(io.Discard, r.Body, 128<<20)
	}()
	xs := s.transferSession(w, r)
	if xs == nil {
		return
	}
	transferDeadline(w, r.ContentLength)
	max := s.cfg.Transfer.MaxBytes
	size := r.ContentLength
	switch {
	case size < 0:
		http.Error(w, "the upload needs a Content-Length", http.StatusLengthRequired)
		return
	case size > max:
		http.Error(w, fmt.Sprintf("the file (%s) is larger than the upload limit (%s)", filexfer.Size(size), filexfer.Size(max)),
			http.StatusRequestEntityTooLarge)
		return
	}
	raw, err := url.PathUnescape(r.Header.Get(NameHeader))
	if err != nil {
		http.Error(w, "bad file name: "+err.Error(), http.StatusBadRequest)
		return
	}
	name := filexfer.CleanName(raw)
	if !xs.up.CompareAndSwap(false, true) {
		http.Error(w, "another upload is running in this terminal", http.StatusTooManyRequests)
		return
	}
	defer xs.up.Store(false)
	cred, err := xs.loginUser()
	if err != nil {
		xs.log.Info("upload refused", logging.String("name", name), logging.Int64("size", size), logging.Error(err))
		http.Error(w, "log in first: "+err.Error(), http.StatusForbidden)
		return
	}
	who := userName(cred.Uid)
	log := xs.log.With(logging.String("user", who), logging.String("direction", "upload"))
	start := time.Now()
	res, status, err := s.put(r.Context(), xs, cred, name, size, r.Body)
	if err != nil {
		log.Info("file transfer failed", logging.String("name", name), logging.Int64("size", size), logging.Error(err))
		http.Error(w, err.Error(), status)
		return
	}
	log.Info("file transferred", logging.String("name", res.Name), logging.String("dir", res.Dir), logging.Int64("size", size),
		logging.Duration("duration", time.Since(start)))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}

// put writes an upload with the helper as cred; the HTTP status goes with
// an error.
func (s *Server) put(ctx context.Context, xs *xsession, cred filexfer.Cred, name string, size int64, body io.Reader) (uploadResult, int, error) {
	pgrp, err := xs.sh.Foreground()
	if err != nil {
		return uploadResult{}, http.StatusConflict, err
	}
	target, err := filexfer.ForegroundDir(procinfo.Root, pgrp)
	if err != nil {
		return uploadResult{}, http.StatusConflict, err
	}
	h := s.cfg.Transfer.Helper
	cmd := exec.Command(h[0], append(h[1:len(h):len(h)], filexfer.PutArgs(target, cred.Uid, size, name)...)...)
	cmd.Dir = "/"
	cmd.Env = []string{}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: cred.Uid, Gid: cred.Gid, Groups: cred.Groups},
		Pdeathsig:  syscall.SIGKILL,
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return uploadResult{}, http.StatusInternalServerError, err
	}
	if err := cmd.Start(); err != nil {
		return uploadResult{}, http.StatusInternalServerError, fmt.Errorf("upload helper: %w", err)
	}
	copied, copyErr := s.pacedCopy(ctx, xs, in, io.LimitReader(body, size))
	in.Close() // a short upload: the helper sees it and removes its file
	waitErr := cmd.Wait()
	if copyErr == nil && copied < size {
		copyErr = fmt.Errorf("upload cut short after %d of %d bytes", copied, size)
	}
	if waitErr == nil && copyErr != nil {
		return uploadResult{}, http.StatusBadRequest, copyErr
	}
	if waitErr != nil {
		// The helper's reason (a refusal stops it before it reads it all).
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = waitErr.Error()
		}
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) && ee.ExitCode() == filexfer.ExitDenied {
			return uploadResult{}, http.StatusForbidden, fmt.Errorf("as %s: %s", userName(cred.Uid), msg)
		}
		return uploadResult{}, http.StatusInternalServerError, errors.New(msg)
	}
	return uploadResult{Name: strings.TrimSpace(stdout.String()), Dir: target.Dir, Size: size}, 0, nil
}

// pacedCopy copies r to w at the session's rate.
func (s *Server) pacedCopy(ctx context.Context, xs *xsession, w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, 128<<10)
	var n int64
	for {
		k, err := r.Read(buf)
		if k > 0 {
			if err := xs.pace.Wait(ctx, k); err != nil {
				return n, err
			}
			if _, err := w.Write(buf[:k]); err != nil {
				return n, err
			}
			n += int64(k)
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request) {
	xs := s.transferSession(w, r)
	if xs == nil {
		return
	}
	tok := r.Header.Get(TokenHeader)
	xs.mu.Lock()
	o := xs.offer[tok]
	delete(xs.offer, tok)
	xs.mu.Unlock()
	if o == nil || tok == "" {
		http.Error(w, "no such download (it was fetched, or given up)", http.StatusNotFound)
		return
	}
	close(o.taken)
	transferDeadline(w, o.size)
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(o.size, 10))
	h.Set("Content-Disposition", "attachment")
	h.Set(NameHeader, url.PathEscape(o.name))
	h.Set("X-Accel-Buffering", "no")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	n, err := s.pacedCopy(r.Context(), xs, w, io.NewSectionReader(o.f, 0, o.size))
	if err == nil && n < o.size {
		err = fmt.Errorf("the file shrank to %d of %d bytes while it was sent", n, o.size)
	}
	o.result <- err
}

// transferDeadline gives a transfer's request time for its size: two
// minutes and 256 KB/s, whatever the server's own deadlines are.
func transferDeadline(w http.ResponseWriter, size int64) {
	d := time.Now().Add(2*time.Minute + time.Duration(max(size, 0)/(256<<10))*time.Second)
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(d)
	_ = rc.SetWriteDeadline(d)
}
