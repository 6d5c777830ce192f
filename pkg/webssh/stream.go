package webssh

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/luoyun/osmanager/pkg/clock"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/termbridge"
	"github.com/luoyun/osmanager/pkg/termproto"
)

// The HTTP transport, for proxies that pass no websocket (the cloud front
// end's nginx speaks HTTP/1.0 to the instance and drops Upgrade). The page
// opens a session with POST /stream: the response is the session's output
// as termproto stream frames, no length (close-delimited on HTTP/1.0,
// chunked on HTTP/1.1), with X-Accel-Buffering: no so that nginx passes
// each frame on at once. Its first frame is the session's id, 128 random
// bits; the page sends its messages (input, resize, acknowledgements) in
// batches on POST /input with the id in SessionHeader. The session ends
// with the stream: when the page goes away its connection closes (nginx
// closes the upstream one when the browser's goes), the request's context
// ends, and the bridge ends the command.

// SessionHeader carries the HTTP transport's session id on POST /input.
const SessionHeader = "X-Webssh-Session"

// keepAliveEvery is how often an idle stream gets an empty frame, well
// within proxy_read_timeout (1800 s in the cloud's template).
const keepAliveEvery = time.Minute

// streams holds the HTTP transport's open sessions by id.
type streams struct {
	mu sync.Mutex
	m  map[string]*streamConn
}

func (ss *streams) add(c *streamConn) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = make(map[string]*streamConn)
	}
	ss.m[c.id] = c
}

func (ss *streams) remove(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, id)
}

func (ss *streams) get(id string) *streamConn {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.m[id]
}

// streamConn is one HTTP-transport session as a termbridge.Conn.
type streamConn struct {
	id   string
	in   chan inbound
	req  context.Context // the stream request's: ends when the page goes away (or at shutdown)
	done chan struct{}   // closed by Close

	wmu    sync.Mutex // the bridge's writer and the keep-alive
	w      http.ResponseWriter
	rc     *http.ResponseController
	closed bool
	hdr    []byte

	post sync.Mutex // one batch at a time, so batches stay whole and in order
}

type inbound struct {
	msg []byte
	err error
}

func (c *streamConn) ReadMessage() ([]byte, error) {
	select {
	case m := <-c.in:
		return m.msg, m.err
	case <-c.req.Done():
		if errors.Is(context.Cause(c.req), errShutdown) {
			// The bridge ends the session itself and tells the page.
			<-c.done
			return nil, errors.New("session closed")
		}
		return nil, errors.New("stream closed by the page")
	case <-c.done:
		return nil, errors.New("session closed")
	}
}

// writeFrame writes one frame and flushes; the caller holds wmu.
func (c *streamConn) writeFrame(kind byte, p []byte, deadline time.Time) error {
	if c.closed {
		return errors.New("session closed")
	}
	_ = c.rc.SetWriteDeadline(deadline)
	c.hdr = termproto.AppendFrameHeader(c.hdr[:0], kind, len(p))
	if _, err := c.w.Write(c.hdr); err != nil {
		return err
	}
	if _, err := c.w.Write(p); err != nil {
		return err
	}
	return nil
}

func (c *streamConn) WriteOutput(p []byte, deadline time.Time) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for len(p) > 0 {
		n := min(len(p), termproto.MaxFrame)
		if err := c.writeFrame(termproto.FrameOutput, p[:n], deadline); err != nil {
			return err
		}
		p = p[n:]
	}
	return c.rc.Flush()
}

func (c *streamConn) WriteNotice(n termproto.Notice, deadline time.Time) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.writeFrame(termproto.FrameNotice, n.Marshal(), deadline); err != nil {
		return err
	}
	return c.rc.Flush()
}

// keepAlive writes an empty frame every keepAliveEvery until Close.
func (c *streamConn) keepAlive(clk clock.Clock) {
	t := clk.NewTicker(keepAliveEvery)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C():
			c.wmu.Lock()
			err := c.writeFrame(termproto.FrameKeepAlive, nil, time.Now().Add(10*time.Second))
			if err == nil {
				err = c.rc.Flush()
			}
			c.wmu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

// Close stops every write; the stream ends when serveStream returns.
func (c *streamConn) Close() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.done)
		_ = c.rc.SetWriteDeadline(time.Time{}) // the connection may serve another request
	}
	return nil
}

// deliver hands one message (or a protocol error) to the bridge; it
// reports false when the session or the POST ended first.
func (c *streamConn) deliver(m inbound, r *http.Request) bool {
	select {
	case c.in <- m:
		return true
	case <-c.done:
		return false
	case <-c.req.Done():
		return false
	case <-r.Context().Done():
		return false
	}
}

func newSessionID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("session id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// serveStream opens a session on the HTTP transport: POST /stream.
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request) {
	s.wg.Add(1)
	defer s.wg.Done()
	log := s.requestLog(r, "http")
	w.Header().Set("Cache-Control", "no-store")
	if !s.admit(w, r) {
		return
	}
	sl, busy := s.takeSlot(r, log)
	if sl == nil {
		http.Error(w, busy.Text, http.StatusServiceUnavailable)
		return
	}
	defer s.sessions.release(sl)
	noReadDeadline(w)
	id, err := newSessionID()
	if err != nil {
		log.Error("open stream", logging.Error(err))
		http.Error(w, "cannot start the terminal", http.StatusInternalServerError)
		return
	}
	c := &streamConn{id: id, in: make(chan inbound), req: r.Context(), done: make(chan struct{}),
		w: w, rc: http.NewResponseController(w)}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each frame on at once
	h.Set("X-Content-Type-Options", "nosniff")
	// Known before the page learns the id, so that its first POST finds it.
	s.streams.add(c)
	defer s.streams.remove(id)
	w.WriteHeader(http.StatusOK)
	c.wmu.Lock()
	err = c.writeFrame(termproto.FrameSession, []byte(id), time.Now().Add(10*time.Second))
	if err == nil {
		err = c.rc.Flush()
	}
	c.wmu.Unlock()
	if err != nil {
		log.Info("stream closed before the session started", logging.Error(err))
		return
	}
	go c.keepAlive(clock.Or(s.cfg.Clock))
	s.runSession(r.Context(), sl, c, log)
	c.Close() // also when the session could not start
}

// serveInput takes a batch of the page's messages: POST /input.
func (s *Server) serveInput(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !s.admit(w, r) {
		return
	}
	c := s.streams.get(r.Header.Get(SessionHeader))
	if c == nil {
		http.Error(w, "no such session", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, bodyReader(w, r), termproto.MaxBatch))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			err = fmt.Errorf("batch over %d bytes: %w", termproto.MaxBatch, termproto.ErrLong)
		} else {
			http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	var msgs [][]byte
	if err == nil {
		msgs, err = termproto.SplitBatch(body)
	}
	c.post.Lock()
	defer c.post.Unlock()
	if err != nil {
		// Like a malformed websocket frame: the session ends.
		c.deliver(inbound{err: fmt.Errorf("%w: %w", termbridge.ErrProtocol, err)}, r)
		http.Error(w, "protocol error: "+err.Error(), http.StatusBadRequest)
		return
	}
	for _, m := range msgs {
		if !c.deliver(inbound{msg: m}, r) {
			http.Error(w, "session ended", http.StatusGone)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
