package webpage

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/luoyun/osmanager/internal/poll"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/osmstate"
)

// fixtureOSMPid runs osm in the fixture's proc tree.
const fixtureOSMPid = 7

// osmProcRoot makes a proc tree at dir where fixtureOSMPid runs
// /LuoYun/bin/osm.
func osmProcRoot(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, strconv.Itoa(fixtureOSMPid))
	writeFile(t, filepath.Join(p, "stat"), "7 (osm) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n")
	writeFile(t, filepath.Join(p, "cmdline"), "/LuoYun/bin/osm\x00-c\x00/LuoYun/conf/luoyun.conf\x00")
	return dir
}

// TestAppStatusVars: $appstatus and $appstatustext give the last report;
// $osmstatus says stopped once the osm that wrote the state is gone
// (killed: the file still says registered).
func TestAppStatusVars(t *testing.T) {
	f := newFixture(t)
	writeFile(t, filepath.Join(f.root, NoCookie, "s.html"), "[$osmstatus|$appstatus|$appstatustext]")
	for _, tt := range []struct {
		name  string
		state *osmstate.State
		gone  bool
		want  string
	}{
		{"no state", nil, false, "[unknown|none|no report yet]"},
		{"running, not serving", &osmstate.State{Phase: osmstate.Registered, PID: fixtureOSMPid, LastReport: 2003}, false,
			"[registered|2003|application not serving (status script exit 3)]"},
		{"running, serving", &osmstate.State{Phase: osmstate.Registered, PID: fixtureOSMPid, LastReport: 2000}, false,
			"[registered|2000|application running]"},
		{"killed", &osmstate.State{Phase: osmstate.Registered, PID: fixtureOSMPid, LastReport: 2000}, true,
			"[stopped|2000|application running]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(f.state)
			if tt.state != nil {
				if err := osmstate.Write(f.state, *tt.state); err != nil {
					t.Fatal(err)
				}
			}
			cfg := f.config(newClock(t0))
			if tt.gone {
				cfg.ProcRoot = t.TempDir()
			}
			_, addr := start(t, cfg, nil)
			if r := get(t, addr, "/s.html"); r.body != tt.want {
				t.Errorf("page = %q, want %q", r.body, tt.want)
			}
		})
	}
}

// TestStatusProbesCounted: the status script's requests (User-Agent
// luoyun-status, from this host) are not logged one by one: the first is,
// then they are counted and summed up in one line per ProbeSummaryEvery;
// one whose answer changes is logged at once; other requests are logged
// as always.
func TestStatusProbesCounted(t *testing.T) {
	f := newFixture(t)
	core, logs := observer.New(zapcore.DebugLevel)
	c := newClock(t0)
	cfg := f.config(c)
	cfg.ProbeSummaryEvery = time.Minute
	_, addr := start(t, cfg, logging.FromCore(core))
	probe := func(path string) { raw(t, addr, "GET", path, "User-Agent: "+ProbeAgent) }
	for range 10 {
		probe("/")
	}
	get(t, addr, "/")
	probe("/nothing") // 404: a change, logged
	probe("/nothing") // counted
	probe("/")        // 200 again: logged
	c.set(t0.Add(2 * time.Minute))
	probe("/") // counted; the minute has passed: the summary
	// A line is written just after its answer: poll.
	var requests, sums []observer.LoggedEntry
	poll.Wait(poll.Timeout, func() bool {
		requests = logs.FilterMessage("request").All()
		sums = logs.FilterMessage("status script requests").All()
		return len(requests) >= 4 && len(sums) >= 1
	})
	if len(requests) != 4 {
		t.Errorf("%d request lines, want 4 (first probe, the other client, two changes)", len(requests))
	}
	if len(sums) != 1 {
		t.Fatalf("%d summary lines, want 1", len(sums))
	}
	m := sums[0].ContextMap()
	if m["count"] != int64(11) || m["statuses"] != "200:10 404:1" {
		t.Errorf("summary = %v, want count 11, statuses 200:10 404:1", m)
	}
}

func TestIsProbe(t *testing.T) {
	req := func(remote, local, ua string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("User-Agent", ua)
		if local != "" {
			r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.ParseIP(local), Port: 8080}))
		}
		return r
	}
	for _, tt := range []struct {
		remote, local, ua string
		want              bool
	}{
		{"127.0.0.1:5000", "127.0.0.1", ProbeAgent, true},
		{"[::1]:5000", "", ProbeAgent, true},
		{"192.0.2.7:5000", "192.0.2.7", ProbeAgent, true},  // LUOYUN_LISTEN_ADDR=192.0.2.7: from this host
		{"192.0.2.9:5000", "192.0.2.7", ProbeAgent, false}, // another host pretending
		{"127.0.0.1:5000", "127.0.0.1", "curl/8.0", false},
		{"garbage", "", ProbeAgent, false},
	} {
		if got := isProbe(req(tt.remote, tt.local, tt.ua)); got != tt.want {
			t.Errorf("isProbe(%s -> %s, %q) = %v, want %v", tt.remote, tt.local, tt.ua, got, tt.want)
		}
	}
}
