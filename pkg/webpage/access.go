package webpage

import (
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/luoyun/osmanager/pkg/logging"
)

// ProbeAgent is the User-Agent of the shipped status script's requests
// (custom/scripts/status), which osm runs every status_interval: 17,000 a
// day at the default 5 s. They are counted, not logged one by one.
const ProbeAgent = "luoyun-status"

// probes counts the status script's requests between summary lines.
type probes struct {
	mu       sync.Mutex
	since    time.Time     // start of the current count
	count    int64         // requests since then
	statuses map[int]int64 // their answers
	last     int           // the previous request's status; 0 before the first
}

// isProbe reports whether r is the status script's: its User-Agent, from
// this host (loopback, or the address it was sent to).
func isProbe(r *http.Request) bool {
	if !strings.HasPrefix(r.UserAgent(), ProbeAgent) {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	ip := net.ParseIP(host)
	if err != nil || ip == nil {
		return false
	}
	if ip.IsLoopback() {
		return true
	}
	la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	lhost, _, err := net.SplitHostPort(la.String())
	return err == nil && net.ParseIP(lhost).Equal(ip)
}

// probe counts a status script request. It reports whether the request
// should be logged anyway (its answer differs from the previous one's),
// and writes the summary line when ProbeSummaryEvery has passed.
func (s *Server) probe(status int, now time.Time) bool {
	p := &s.probes
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.statuses == nil {
		p.statuses, p.since = map[int]int64{}, now
	}
	changed := status != p.last
	p.last = status
	if !changed {
		p.count++
		p.statuses[status]++
	}
	if s.cfg.ProbeSummaryEvery > 0 && now.Sub(p.since) >= s.cfg.ProbeSummaryEvery {
		s.probeSummaryLocked(now)
	}
	return changed
}

// probeSummary writes the summary line of what was counted, if anything
// (at shutdown).
func (s *Server) probeSummary(now time.Time) {
	s.probes.mu.Lock()
	defer s.probes.mu.Unlock()
	s.probeSummaryLocked(now)
}

func (s *Server) probeSummaryLocked(now time.Time) {
	p := &s.probes
	if p.count > 0 {
		codes := make([]int, 0, len(p.statuses))
		for c := range p.statuses {
			codes = append(codes, c)
		}
		sort.Ints(codes)
		var b strings.Builder
		for i, c := range codes {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.Itoa(c) + ":" + strconv.FormatInt(p.statuses[c], 10))
		}
		s.access.Info("status script requests",
			logging.Int64("count", p.count), logging.String("statuses", b.String()),
			logging.Duration("over", now.Sub(p.since).Round(time.Second)))
	}
	p.count, p.since = 0, now
	clear(p.statuses)
}
