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

// dial opens a TCP connection with the protocol's keepalive settings.
func (a *Agent) dial(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{
		Timeout: a.cfg.DialTimeout,
		KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: 10 * time.Second, Interval: 10 * time.Second, Count: 3,
		},
	}
	return d.DialContext(ctx, "tcp4", addr)
}

// connect finds and dials the controller: CLC_IP/CLC_PORT first, then the
// address of the last join datagram. Only without CLC_IP does an attempt
// wait up to the discovery window for a join: with a known address a
// failed attempt goes straight to the back-off, which keeps listening for
// joins meanwhile (pause), so a returning controller is retried on the
// back-off's schedule instead of after a whole window.
func (a *Agent) connect(ctx context.Context, t target) (net.Conn, error) {
	var errs []error
	try := func(addr string) net.Conn {
		a.setPhase(osmstate.Connecting, addr)
		c, err := a.dial(ctx, addr)
		if err != nil {
			a.log.Debug("dial failed", logging.String("controller", addr), logging.Error(err))
			errs = append(errs, err)
			return nil
		}
		return c
	}
	if t.direct != "" {
		if c := try(t.direct); c != nil {
			return c, nil
		}
	}
	if t.mcast == nil {
		return nil, errors.Join(errs...)
	}
	if j := a.lastJoin; j != "" && j != t.direct {
		if c := try(j); c != nil {
			return c, nil
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if t.direct != "" {
		return nil, errors.Join(errs...)
	}
	a.setPhase(osmstate.Discovering, "")
	addr, err := discover(ctx, t.mcast, a.cfg.DiscoveryWindow, a.log)
	if err != nil {
		errs = append(errs, err)
		return nil, errors.Join(errs...)
	}
	a.lastJoin = addr
	if c := try(addr); c != nil {
		return c, nil
	}
	return nil, errors.Join(errs...)
}

// discover waits up to window for a JOIN_REQUEST datagram on the group
// and returns the controller address it names.
func discover(ctx context.Context, group *net.UDPAddr, window time.Duration, log *logging.Logger) (string, error) {
	c, err := net.ListenMulticastUDP("udp4", nil, group)
	if err != nil {
		return "", fmt.Errorf("listen for controller joins on %s: %w", group, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	_ = c.SetReadDeadline(time.Now().Add(window))
	buf := make([]byte, 2048)
	for {
		n, from, err := c.ReadFromUDP(buf)
		if err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return "", fmt.Errorf("no controller join on %s within %s", group, window)
			}
			return "", fmt.Errorf("listen for controller joins on %s: %w", group, err)
		}
		p, err := clcproto.Parse(buf[:n])
		if err == nil && p.Type != clcproto.JoinRequest {
			err = fmt.Errorf("%s, not a join", p.Type)
		}
		if err != nil {
			log.Debug("ignored datagram", logging.Stringer("from", from), logging.Error(err))
			continue
		}
		j, err := clcproto.ParseJoin(p.Data)
		if err != nil {
			log.Debug("ignored join", logging.Stringer("from", from), logging.Error(err))
			continue
		}
		log.Debug("controller join", logging.Stringer("from", from), logging.String("controller", j.Addr()))
		return j.Addr(), nil
	}
}

// localIP returns the connection's local IPv4 address, or "empty".
func localIP(c net.Conn) string {
	if ta, ok := c.LocalAddr().(*net.TCPAddr); ok && ta.IP != nil && !ta.IP.IsUnspecified() {
		return ta.IP.String()
	}
	return "empty"
}
