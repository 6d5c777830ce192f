package webssh

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/termproto"
)

// Reasons admit refuses a request.
var (
	errForeignHost   = errors.New("host is not a name of this instance")
	errForeignOrigin = errors.New("origin not allowed")
)

// admit is the one check every request that would open a terminal
// session goes through, whatever its transport: the Host must name this
// instance (HostAllowed: against DNS rebinding, where a hostile name
// resolves to the instance and its pages would pass the same-origin
// check) and the Origin must be the page's own or an allowed one
// (OriginAllowed). A refused request has been answered 403 and logged;
// admit reports whether the caller may go on.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) bool {
	err := s.checkRequest(r)
	if err == nil {
		return true
	}
	s.log.Warn("session refused", logging.String("remote", r.RemoteAddr), logging.String("host", r.Host),
		logging.String("origin", r.Header.Get("Origin")), logging.Error(err))
	http.Error(w, "403 forbidden: "+err.Error(), http.StatusForbidden)
	return false
}

// checkRequest returns why r may not open a session, or nil.
func (s *Server) checkRequest(r *http.Request) error {
	if !HostAllowed(r.Host, s.cfg.AllowedHosts) {
		return fmt.Errorf("%w: %q (add it to webssh.allowed_hosts)", errForeignHost, r.Host)
	}
	if origin := r.Header.Get("Origin"); !OriginAllowed(origin, r.Host, s.cfg.AllowedOrigins) {
		return fmt.Errorf("%w: %q", errForeignOrigin, origin)
	}
	return nil
}

// source returns the client's address as the session limit counts it:
// the X-Real-IP a proxy set when the peer is a trusted proxy (loopback,
// or listed in trusted), else the peer's address. IPv6 addresses count
// by their /64, which one client usually has whole.
func source(r *http.Request, trusted []netip.Prefix) string {
	peer := parseIP(r.RemoteAddr)
	if peer.IsValid() && (peer.IsLoopback() || inPrefixes(peer, trusted)) {
		if real := parseIP(r.Header.Get("X-Real-IP")); real.IsValid() {
			peer = real
		}
	}
	if !peer.IsValid() {
		return r.RemoteAddr
	}
	if peer.Is6() {
		p, _ := peer.Prefix(64)
		return p.String()
	}
	return peer.String()
}

// parseIP parses "ip", "ip:port" or "[ip]:port"; the zero Addr when none.
func parseIP(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

func inPrefixes(a netip.Addr, list []netip.Prefix) bool {
	for _, p := range list {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrusted parses trusted proxy addresses: IPs or CIDR prefixes.
func ParseTrusted(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an IP address or prefix", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// takeSlot is the session limit of every transport, after admit: a slot
// for the request's source (a newcomer may take the place of a session
// still at the login prompt). With none free it returns the busy notice.
func (s *Server) takeSlot(r *http.Request, log *logging.Logger) (*slot, termproto.Notice) {
	sl, evicted := s.sessions.acquire(source(r, s.trusted))
	if evicted != nil {
		log.Info("session at the login prompt given up for a newcomer", logging.String("evicted_source", evicted.source))
	}
	if sl == nil {
		log.Info("session refused: too many sessions", logging.Int("max", s.cfg.MaxSessions))
		return nil, termproto.Notice{Kind: termproto.NoticeBusy,
			Text: fmt.Sprintf("all %d terminal sessions are in use; close one or try again later", s.cfg.MaxSessions)}
	}
	return sl, termproto.Notice{}
}
