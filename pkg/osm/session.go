package osm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/luoyun/osmanager/pkg/clcproto"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/osmstate"
)

// ErrRefused is returned when the controller answers the registration
// with anything but 1021.
var ErrRefused = errors.New("controller refused the registration")

// session authenticates, registers and then serves one connection until
// it ends. It records the registration in out.
func (a *Agent) session(ctx context.Context, c net.Conn, t target, out *outcome) error {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	addr := c.RemoteAddr().String()
	a.setPhase(osmstate.Authenticating, addr)
	_ = c.SetDeadline(time.Now().Add(a.cfg.HandshakeTimeout))
	chal, err := a.cfg.Challenge()
	if err != nil {
		return err
	}
	if err := clcproto.Authenticate(c, []byte(t.key.Reveal()), t.tag, chal); err != nil {
		return fmt.Errorf("authenticate with %s: %w", addr, ctxErr(ctx, err))
	}
	ip := localIP(c)
	res, err := clcproto.RegisterWith(c, clcproto.Register{Tag: t.tag, Status: clcproto.OSMUnregistered, IP: ip})
	if err != nil {
		return fmt.Errorf("register with %s: %w", addr, ctxErr(ctx, err))
	}
	if res != clcproto.RegisterOK {
		return fmt.Errorf("%w (result %d) at %s", ErrRefused, res, addr)
	}
	_ = c.SetDeadline(time.Time{})
	out.registered, out.at = true, a.cfg.Clock.Now()
	a.registered(addr, ip)
	a.log.Info("registered", logging.String("controller", addr), logging.Int32("tag", t.tag), logging.String("ip", ip))
	return a.serve(ctx, c, t, ip)
}

// ctxErr prefers the context's error: a closed connection after a
// cancellation is the cancellation.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

type readResult struct {
	p   clcproto.Packet
	err error
}

// serve reports the status and answers the controller until the
// connection ends.
func (a *Agent) serve(ctx context.Context, c net.Conn, t target, ip string) error {
	in := make(chan readResult)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			p, err := clcproto.ReadPacket(c)
			select {
			case in <- readResult{p, err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	send := func(p clcproto.Packet) error {
		_ = c.SetWriteDeadline(time.Now().Add(a.cfg.WriteTimeout))
		return clcproto.WritePacket(c, p)
	}
	var reported int32 // last value sent on this connection; 0 = none
	seenUnknown := map[clcproto.Type]bool{}
	for {
		status, changed := a.currentStatus()
		if status != 0 && status != reported {
			if err := send(clcproto.Packet{Type: clcproto.Report, Data: clcproto.AppendInt32(nil, status)}); err != nil {
				return fmt.Errorf("report to controller: %w", ctxErr(ctx, err))
			}
			reported = status
			a.reported(status)
			a.log.Info("status reported", logging.Int32("status", status))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		case r := <-in:
			if r.err != nil {
				return fmt.Errorf("connection to controller lost: %w", ctxErr(ctx, r.err))
			}
			switch r.p.Type {
			case clcproto.QueryRequest:
				job, err := clcproto.ParseInt32(r.p.Data)
				if err != nil {
					a.log.Warn("bad query from controller", logging.Error(err))
					continue
				}
				ans := clcproto.QueryAnswer{Job: job, Tag: t.tag, Status: clcproto.QueryStatus(a.lastReport()), IP: ip}
				a.log.Debug("query", logging.Int32("job", job))
				if err := send(clcproto.Packet{Type: clcproto.QueryReply, Data: ans.AppendMarshal(nil)}); err != nil {
					return fmt.Errorf("answer query: %w", ctxErr(ctx, err))
				}
			case clcproto.EchoRequest:
				a.log.Debug("echo", logging.Int("len", len(r.p.Data)))
				if err := send(clcproto.Packet{Type: clcproto.EchoReply, Data: r.p.Data}); err != nil {
					return fmt.Errorf("answer echo: %w", ctxErr(ctx, err))
				}
			case clcproto.EchoReply:
				a.log.Debug("echo reply", logging.Int("len", len(r.p.Data)))
			default:
				lvl := a.log.Info
				if seenUnknown[r.p.Type] {
					lvl = a.log.Debug
				}
				seenUnknown[r.p.Type] = true
				lvl("skipped packet", logging.Stringer("type", r.p.Type), logging.Int("len", len(r.p.Data)))
			}
		}
	}
}
