// Package webpage is the appliance page server (port 8080): it serves
// www/withcookie/ to a request whose ?cookie= matches the instance's cookie
// and www/nocookie/ to anything else, substitutes $hostname, $application,
// $version1, $version2, $curtime and a few more in HTML pages, serves other
// files byte-exact, and keeps every request inside the www root.
//
// Pages are cached in memory and re-checked on disk at most every
// Config.CheckEvery; a rendered page is kept until one of its variables
// changes ($curtime changes once a minute), so a request costs no file
// system access and no rendering.
package webpage

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/luoyun/osmanager/pkg/hostname"
	"github.com/luoyun/osmanager/pkg/lyconf"
)

// Config is what the page server needs; Defaults gives its own production
// values, the settings file the rest.
type Config struct {
	// Root is the www directory holding withcookie/ and nocookie/.
	Root string
	// ConfigFile is luoyun.conf; its JSON gives the cookie, domain.name
	// and webssh.port. A missing file means no cookie (nocookie/ only).
	ConfigFile string
	// BuildDir holds the appliance's VERSION file.
	BuildDir string
	// StateFile is the registrar's state file for $osmstatus,
	// $osmsince, $appstatus and $appstatustext; "" or a missing file
	// gives "unknown".
	StateFile string
	// ProcRoot is the proc file system that tells whether the osm that
	// wrote the state file still runs ("/proc").
	ProcRoot string
	// ProbeSummaryEvery is how often the requests of the status script
	// (User-Agent luoyun-status, from this host) are summed up in one
	// access log line; each is not logged, except when its answer
	// differs from the previous one's.
	ProbeSummaryEvery time.Duration
	// Addr is the listen address, "host:port"; an empty host listens on
	// all addresses.
	Addr string
	// WebSSHPort is the settings' [webssh] port, the web shell's port
	// when the JSON gives none.
	WebSSHPort int
	// WebSSHPortExplicit, when not 0, is the port webssh was told with
	// -p; it wins over the JSON (settings.WebSSHPort is the rule).
	WebSSHPortExplicit int

	// ReadHeaderTimeout bounds the time to read a request's headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds the time to read a whole request.
	ReadTimeout time.Duration
	// WriteTimeout bounds the time to write a response.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection idle this long.
	IdleTimeout time.Duration
	// ShutdownTimeout bounds the wait for requests in flight on shutdown.
	ShutdownTimeout time.Duration
	// MaxHeaderBytes bounds a request's line and headers, in bytes (more
	// than 4096: net/http's read-ahead).
	MaxHeaderBytes int
	// MaxConns caps the connections open at once, MaxConnsPerSource
	// those from one address; one over a cap is answered 503 and closed
	// at once (pkg/connlimit).
	MaxConns, MaxConnsPerSource int

	// CheckEvery is how long a cached file, the config, VERSION and the
	// state file are trusted before they are looked at again on disk.
	// 0 looks at them on every request (tests).
	CheckEvery time.Duration
	// MaxCachedFile is the largest file kept in memory; larger files are
	// streamed from disk, and larger HTML is served without substitution.
	MaxCachedFile int64
	// MaxCacheBytes bounds the memory of all cached files together.
	MaxCacheBytes int64

	// Now returns the current time; time.Now when nil. $curtime is its
	// HH:MM in its own location.
	Now func() time.Time
	// Addrs lists the system's addresses for the hostname fallback;
	// net.InterfaceAddrs when nil.
	Addrs hostname.Addrs
}

// Defaults returns the page server's own production values and the
// original's paths. The tunables of the settings file are not defaulted
// here: Addr (its port), WebSSHPort and StateFile come from
// settings.Settings, whose Defaults hold them once (cmd/web fills them).
func Defaults() Config {
	return Config{
		Root:              "/LuoYun/custom/www",
		ConfigFile:        lyconf.DefaultPath,
		BuildDir:          "/LuoYun/build",
		ProcRoot:          "/proc",
		ProbeSummaryEvery: time.Hour,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		ShutdownTimeout:   5 * time.Second,
		MaxHeaderBytes:    8 << 10,
		MaxConns:          512,
		MaxConnsPerSource: 64,
		CheckEvery:        time.Second,
		MaxCachedFile:     1 << 20,
		MaxCacheBytes:     32 << 20,
	}
}

// Validate checks the configuration for sense.
func (c *Config) Validate() error {
	var errs []error
	if c.Root == "" {
		errs = append(errs, errors.New("www root is empty"))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("listen address %q: %w", c.Addr, err))
	}
	if c.WebSSHPort < 1 || c.WebSSHPort > 65535 {
		errs = append(errs, fmt.Errorf("web shell port must be 1..65535, got %d", c.WebSSHPort))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"read-header timeout", c.ReadHeaderTimeout},
		{"read timeout", c.ReadTimeout},
		{"write timeout", c.WriteTimeout},
		{"idle timeout", c.IdleTimeout},
		{"shutdown timeout", c.ShutdownTimeout},
	} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", d.name, d.v))
		}
	}
	if c.MaxHeaderBytes < 4097 {
		errs = append(errs, fmt.Errorf("header limit must be more than 4096 bytes, got %d", c.MaxHeaderBytes))
	}
	if c.MaxConns < 1 || c.MaxConnsPerSource < 1 {
		errs = append(errs, fmt.Errorf("connection caps must be at least 1, got %d and %d", c.MaxConns, c.MaxConnsPerSource))
	}
	if c.ProbeSummaryEvery < 0 {
		errs = append(errs, fmt.Errorf("status probe summary interval must not be negative, got %s", c.ProbeSummaryEvery))
	}
	if c.CheckEvery < 0 {
		errs = append(errs, fmt.Errorf("check interval must not be negative, got %s", c.CheckEvery))
	}
	if c.MaxCachedFile < 0 || c.MaxCacheBytes < 0 {
		errs = append(errs, errors.New("cache limits must not be negative"))
	}
	return errors.Join(errs...)
}
