package webpage

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io/fs"
	"maps"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/luoyun/osmanager/pkg/appliancebuild"
	"github.com/luoyun/osmanager/pkg/hostname"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/lyconf"
	"github.com/luoyun/osmanager/pkg/osmstate"
	"github.com/luoyun/osmanager/pkg/pagetmpl"
	"github.com/luoyun/osmanager/pkg/release"
	"github.com/luoyun/osmanager/pkg/settings"
)

// Variable names a page may use, besides the original's five.
const (
	VarHostname    = "hostname"      // JSON domain.name, else the first IPv4 address
	VarApplication = "application"   // from build/VERSION line 2
	VarVersion1    = "version1"      // from build/VERSION line 1
	VarVersion2    = "version2"      // from build/VERSION line 2
	VarCurtime     = "curtime"       // local time, HH:MM
	VarAppURL      = "appurl"        // http://<hostname>/
	VarWebSSHPort  = "websshport"    // JSON webssh.port, else the configured port
	VarWebSSHURL   = "websshurl"     // http://<hostname>:<websshport>/
	VarOSMStatus   = "osmstatus"     // the registrar's state, "unknown" without one, "stopped" when osm no longer runs
	VarOSMSince    = "osmsince"      // when it entered that state, local YYYY-MM-DD HH:MM
	VarAppStatus   = "appstatus"     // the last application status reported (2000 running, 2001..2127 not serving, 2128 unknown), "none" before the first
	VarAppText     = "appstatustext" // what it means ("application running", ...)
)

// VarOSMVersion is the tree's own release and commit, "RELEASE (commit
// COMMIT)": the running web's (pkg/release).
const VarOSMVersion = "osmversion"

// snapshot is one consistent set of page variables and the cookie.
type snapshot struct {
	gen     uint64            // changes whenever values or the cookie change
	minute  int64             // Unix minute of $curtime
	checked time.Time         // when the files were last read
	values  map[string]string // as they are, to tell a change
	html    map[string]string // escaped for HTML and other text files
	js      map[string]string // escaped for a JavaScript string literal
	// cookieSum is the SHA-256 of the cookie; compared in constant time
	// whatever the lengths.
	cookieSum [sha256.Size]byte
	hasCookie bool
}

// lookupFor returns the variables' lookup for the file name, with
// values escaped for its kind (pagetmpl.Escaper).
func (s *snapshot) lookupFor(name string) pagetmpl.Lookup {
	if isJS(name) {
		return pagetmpl.Map(s.js)
	}
	return pagetmpl.Map(s.html)
}

// unlocks reports whether a request's cookie matches the instance's.
// An empty cookie on either side never does.
func (s *snapshot) unlocks(cookie string) bool {
	if !s.hasCookie || cookie == "" {
		return false
	}
	sum := sha256.Sum256([]byte(cookie))
	return subtle.ConstantTimeCompare(sum[:], s.cookieSum[:]) == 1
}

// varSource builds snapshots from the config, VERSION, the state file,
// the system's addresses and the clock.
type varSource struct {
	cfg *Config
	log *logging.Logger
	mu  sync.Mutex // held while a snapshot is built
	cur atomic.Pointer[snapshot]
	// lastErr remembers each source's last error, logged once.
	lastErr map[string]string
}

func newVarSource(cfg *Config, log *logging.Logger) *varSource {
	return &varSource{cfg: cfg, log: log, lastErr: map[string]string{}}
}

// fresh reports whether s may still be used at now.
func (v *varSource) fresh(s *snapshot, now time.Time) bool {
	return s != nil && unixMinute(now) == s.minute && now.Sub(s.checked) < v.cfg.CheckEvery && !now.Before(s.checked)
}

// get returns the current snapshot, rebuilding it when it is stale. While
// one request rebuilds, others go on with the previous snapshot.
func (v *varSource) get(now time.Time) *snapshot {
	s := v.cur.Load()
	if v.fresh(s, now) {
		return s
	}
	if !v.mu.TryLock() {
		if s != nil {
			return s
		}
		v.mu.Lock()
	}
	defer v.mu.Unlock()
	if s = v.cur.Load(); v.fresh(s, now) {
		return s
	}
	ns := v.build(now)
	switch {
	case s == nil:
		ns.gen = 1
	case maps.Equal(ns.values, s.values) && ns.hasCookie == s.hasCookie && ns.cookieSum == s.cookieSum:
		ns.gen = s.gen
	default:
		ns.gen = s.gen + 1
	}
	v.cur.Store(ns)
	return ns
}

func (v *varSource) build(now time.Time) *snapshot {
	s := &snapshot{minute: unixMinute(now), checked: now}
	var in *lyconf.Instance
	if v.cfg.ConfigFile != "" {
		c, err := lyconf.Load(v.cfg.ConfigFile)
		if err == nil {
			in = &c.Instance
			err = c.Err("JSON") // a bad JSON line: no cookie, said once
		}
		v.report("config", err)
	}
	// The same rule as webssh's listening port.
	sshPort, _ := settings.WebSSHPort(v.cfg.WebSSHPortExplicit, in, v.cfg.WebSSHPort)
	if in != nil && in.Cookie != "" {
		s.hasCookie = true
		s.cookieSum = sha256.Sum256([]byte(in.Cookie))
	}
	host := hostname.Name(in, v.cfg.Addrs)
	build, err := appliancebuild.Load(filepath.Join(v.cfg.BuildDir, "VERSION"))
	v.report("VERSION", err)
	status, since := appliancebuild.Unknown, appliancebuild.Unknown
	app, appText := "none", osmstate.ReportText(0)
	if v.cfg.StateFile != "" {
		st, err := osmstate.Read(v.cfg.StateFile)
		if errors.Is(err, fs.ErrNotExist) {
			err = nil
		} else if err == nil {
			// An osm killed without writing "stopped" must not show as
			// registered.
			st = st.Live(v.cfg.ProcRoot)
			if st.Phase != "" {
				status = st.Phase
			}
			if !st.Since.IsZero() {
				since = st.Since.In(now.Location()).Format("2006-01-02 15:04")
			}
			if st.LastReport != 0 {
				app = strconv.Itoa(st.LastReport)
			}
			appText = osmstate.ReportText(st.LastReport)
		}
		v.report("state file", err)
	}
	port := strconv.Itoa(sshPort)
	raw := map[string]string{
		VarHostname:    host,
		VarApplication: build.Application,
		VarVersion1:    build.Version1,
		VarVersion2:    build.Version2,
		VarCurtime:     now.Format("15:04"),
		VarAppURL:      "http://" + urlHost(host) + "/",
		VarWebSSHPort:  port,
		VarWebSSHURL:   "http://" + net.JoinHostPort(host, port) + "/",
		VarOSMStatus:   status,
		VarOSMSince:    since,
		VarAppStatus:   app,
		VarAppText:     appText,
		VarHostKeys:    v.hostKeys(v.cfg.ConfigFile),
	}
	raw[VarOSMVersion] = release.Get().String()
	s.values = raw
	s.html = make(map[string]string, len(raw))
	s.js = make(map[string]string, len(raw))
	for k, val := range raw {
		s.html[k] = pagetmpl.EscapeHTML(val)
		s.js[k] = pagetmpl.EscapeJS(val)
	}
	return s
}

// urlHost brackets an IPv6 address for use in a URL.
func urlHost(h string) string {
	if ip := net.ParseIP(h); ip != nil && ip.To4() == nil {
		return "[" + h + "]"
	}
	return h
}

// report logs a source's error once, and its recovery.
func (v *varSource) report(source string, err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if v.lastErr[source] == msg {
		return
	}
	v.lastErr[source] = msg
	if err != nil {
		v.log.Warn("cannot read page source", logging.String("source", source), logging.Error(err))
	} else {
		v.log.Info("page source readable again", logging.String("source", source))
	}
}

func unixMinute(t time.Time) int64 { return t.Unix() / 60 }
