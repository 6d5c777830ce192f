package clcsim

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/luoyun/osmanager/pkg/clcproto"
	"github.com/luoyun/osmanager/pkg/logging"
)

// handle runs one instance's connection: handshake, registration, then
// reports, queries and echoes until either side closes.
func (s *Server) handle(ctx context.Context, c net.Conn) {
	from := c.RemoteAddr().String()
	log := s.log.With(logging.String("from", from))
	_ = c.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	chal, err := clcproto.NewChallenge(nil)
	if err != nil {
		log.Error("challenge", logging.Error(err))
		return
	}
	tag, err := clcproto.AcceptAuth(c, s.keyFor, chal)
	if err != nil {
		log.Info("authentication failed", logging.Int32("tag", tag), logging.Error(err))
		s.emit(Event{Kind: AuthFailed, Tag: tag, From: from, Reason: reason(err)})
		return
	}
	s.emit(Event{Kind: AuthOK, Tag: tag, From: from})
	defer s.emit(Event{Kind: Disconnected, Tag: tag, From: from})
	reg, err := clcproto.AcceptRegister(c, s.cfg.Reply)
	if err != nil {
		log.Info("registration failed", logging.Int32("tag", tag), logging.Error(err))
		return
	}
	if s.cfg.Reply != clcproto.RegisterOK {
		s.emit(Event{Kind: RegisterRefused, Tag: tag, IP: reg.IP, From: from})
		return
	}
	s.emit(Event{Kind: Registered, Tag: tag, IP: reg.IP, From: from})
	_ = c.SetDeadline(time.Time{})
	switch s.cfg.Flap {
	case FlapDrop:
		return
	case FlapGarbage:
		// A header whose length no packet may have, then more junk.
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = c.Write(bytes.Repeat([]byte{0xff}, 64))
		return
	}

	ss := &session{s: s, c: c, tag: tag, log: log}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); ss.ask(ctx) }()
	ss.read()
	cancel()
	c.Close()
	wg.Wait()
}

// keyFor returns the KEY of an instance's TAG.
func (s *Server) keyFor(tag int32) ([]byte, error) {
	if s.cfg.Keys != nil {
		if k, ok := s.cfg.Keys[tag]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("%w %d", errUnknownTag, tag)
	}
	if s.cfg.Tag != 0 && tag != s.cfg.Tag {
		return nil, fmt.Errorf("%w %d", errUnknownTag, tag)
	}
	return s.cfg.Key, nil
}

type session struct {
	s   *Server
	c   net.Conn
	tag int32
	log *logging.Logger

	wmu      sync.Mutex
	mu       sync.Mutex
	lastJob  int32
	lastEcho []byte
}

func (ss *session) send(p clcproto.Packet) error {
	ss.wmu.Lock()
	defer ss.wmu.Unlock()
	_ = ss.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return clcproto.WritePacket(ss.c, p)
}

// ask sends queries and echo requests on their timers.
func (ss *session) ask(ctx context.Context) {
	tick := func(d time.Duration) <-chan time.Time {
		if d <= 0 {
			return nil
		}
		t := time.NewTicker(d)
		context.AfterFunc(ctx, t.Stop)
		return t.C
	}
	qc, ec := tick(ss.s.cfg.QueryEvery), tick(ss.s.cfg.EchoEvery)
	var job int32
	for {
		var p clcproto.Packet
		select {
		case <-ctx.Done():
			return
		case <-qc:
			job++
			ss.mu.Lock()
			ss.lastJob = job
			ss.mu.Unlock()
			p = clcproto.Packet{Type: clcproto.QueryRequest, Data: clcproto.AppendInt32(nil, job)}
		case <-ec:
			data := []byte(fmt.Sprintf("echo %d", time.Now().UnixNano()))
			ss.mu.Lock()
			ss.lastEcho = data
			ss.mu.Unlock()
			p = clcproto.Packet{Type: clcproto.EchoRequest, Data: data}
		}
		if err := ss.send(p); err != nil {
			ss.log.Debug("send", logging.Error(err))
			ss.c.Close()
			return
		}
	}
}

// read handles what the instance sends until the connection ends.
func (ss *session) read() {
	for {
		p, err := clcproto.ReadPacket(ss.c)
		if err != nil {
			ss.log.Debug("connection ended", logging.Int32("tag", ss.tag), logging.Error(err))
			return
		}
		switch p.Type {
		case clcproto.Report:
			v, err := clcproto.ParseInt32(p.Data)
			if err != nil {
				ss.log.Warn("bad report", logging.Error(err))
				continue
			}
			ss.s.emit(Event{Kind: ReportEvent, Tag: ss.tag, Status: v})
		case clcproto.QueryReply:
			ss.mu.Lock()
			job := ss.lastJob
			ss.mu.Unlock()
			if q, err := clcproto.ParseQueryAnswer(p.Data); err == nil {
				job = q.Job
			}
			ss.s.emit(Event{Kind: QueryEvent, Tag: ss.tag, Job: job, Reply: string(p.Data)})
		case clcproto.EchoReply:
			ss.mu.Lock()
			ok := ss.lastEcho != nil && bytes.Equal(ss.lastEcho, p.Data)
			ss.mu.Unlock()
			ss.s.emit(Event{Kind: EchoEvent, Tag: ss.tag, OK: ok})
		case clcproto.EchoRequest:
			if err := ss.send(clcproto.Packet{Type: clcproto.EchoReply, Data: p.Data}); err != nil {
				return
			}
		default:
			ss.log.Info("unexpected packet", logging.Stringer("type", p.Type), logging.Int("len", len(p.Data)))
		}
	}
}
