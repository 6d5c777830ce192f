// Package settings reads the OS manager's tunables file,
// /LuoYun/custom/osmanager.toml. It holds every tunable's default and every
// check of a tunable's value, once: components take the values and do not
// default or check them again.
//
// A missing file means the built-in defaults, which reproduce the original
// OS manager's behaviour. The file is read key by key: a key that is
// unknown or whose value is wrong becomes a Problem naming the file, the
// line, the key and the closest known key, and the default stands in for
// it, so one mistake never hides the rest of the file. Each component then
// looks only at the problems in the sections it uses (Split).
package settings

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Section names, as written in the file.
const (
	SectionOSM    = "osm"
	SectionWeb    = "web"
	SectionWebSSH = "webssh"
	SectionLog    = "log"
	SectionMemory = "memory"
	SectionFloppy = "floppy"
	SectionOSC    = "osc"
)

// Settings is the whole tunables file.
type Settings struct {
	OSM    OSM    `toml:"osm"`
	Web    Web    `toml:"web"`
	WebSSH WebSSH `toml:"webssh"`
	Log    Log    `toml:"log"`
	Memory Memory `toml:"memory"`
	Floppy Floppy `toml:"floppy"`
	OSC    OSC    `toml:"osc"`
}

// OSM tunes the registrar.
type OSM struct {
	// StatusInterval is how often custom/scripts/status runs.
	StatusInterval Duration `toml:"status_interval"`
	// StatusTimeout kills a status script that runs longer.
	StatusTimeout Duration `toml:"status_timeout"`
	// ReconnectMin bounds the first retry after a lost controller (it
	// comes within ReconnectMin) and is the floor of later delays
	// (pkg/backoff has the policy).
	ReconnectMin Duration `toml:"reconnect_min"`
	// ReconnectMax caps the back-off between connection attempts.
	ReconnectMax Duration `toml:"reconnect_max"`
	// DiscoveryWindow is how long one attempt listens for a controller's
	// multicast join when there is no CLC_IP (with CLC_IP, joins are
	// heard during the back-off instead).
	DiscoveryWindow Duration `toml:"discovery_window"`
	// StateFile is where the registrar writes its state for operators.
	StateFile string `toml:"state_file"`
}

// Web tunes the page server.
type Web struct {
	// Port is the TCP port of the appliance page.
	Port int `toml:"port"`
	// Procs caps the CPU cores the page server uses at once (GOMAXPROCS);
	// 0 means all. One core keeps its latency tail short on a small
	// instance and leaves the other cores to the application.
	Procs int `toml:"procs"`
}

// WebSSH tunes the web terminal.
type WebSSH struct {
	// Port is the TCP port of the web terminal (JSON webssh.port wins).
	Port int `toml:"port"`
	// Command is what each terminal session runs; /bin/login asks for a
	// user name and password, as the original's SSH service did.
	Command []string `toml:"command"`
	// MaxSessions caps concurrent terminal sessions.
	MaxSessions int `toml:"max_sessions"`
	// IdleTimeout ends a session with no input for this long.
	IdleTimeout Duration `toml:"idle_timeout"`
	// AllowedOrigins lists extra Origin hosts allowed to open a session.
	AllowedOrigins []string `toml:"allowed_origins"`
	// AllowedHosts lists names, besides IP addresses, localhost and the
	// JSON domain.name, that the terminal may be reached by ("name",
	// "name:port" or "*.suffix"); other Host headers are refused.
	AllowedHosts []string `toml:"allowed_hosts"`
	// TrustedProxies lists proxies (IPs or CIDR prefixes, loopback
	// always) whose X-Real-IP names the client for the session limit.
	TrustedProxies []string `toml:"trusted_proxies"`
	// LoginFront, with command /bin/login, makes webssh ask the user
	// name itself: root then goes through su where /etc/securetty keeps
	// root off pseudo terminals, everybody else through /bin/login.
	LoginFront bool `toml:"login_front"`
	// TLSCert and TLSKey, when both set, serve the terminal over HTTPS.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
	// UploadMaxMB is the largest file (MB, 10^6 bytes) moved through the
	// terminal either way: uploads and `webssh get`; 0 turns it off.
	UploadMaxMB int `toml:"upload_max_mb"`
	// TransferRateMB caps each session's file transfers, MB per second
	// over both ways together; 0: no cap.
	TransferRateMB int `toml:"transfer_rate_mb"`
}

// Log tunes the rotating log files.
type Log struct {
	// MaxSizeMB rotates a log file when it reaches this many MiB.
	MaxSizeMB int `toml:"max_size_mb"`
	// MaxBackups is how many rotated files to keep.
	MaxBackups int `toml:"max_backups"`
}

// Memory tunes what the daemons (osm, web, webssh) give back once idle.
type Memory struct {
	// TrimInterval: every this long each daemon collects its Go heap and
	// returns the free pages to the system (pkg/memtrim); 0: never.
	TrimInterval Duration `toml:"trim_interval"`
	// Trim is accepted, true or false, and does nothing: settings files
	// outlive upgrades, and older ones set it. TrimSet says the file
	// sets it (each daemon then says so in one line at start).
	Trim    bool `toml:"trim"`
	TrimSet bool `toml:"-"`
}

// Floppy tunes the floppy reader.
type Floppy struct {
	// Device is the floppy block device, an image, or a mounted directory.
	Device string `toml:"device"`
	// Wait is how long to wait for the device node to appear.
	Wait Duration `toml:"wait"`
}

// OSC tunes the system configurator: each instance's own identity, made
// on its first boot (pkg/identity).
type OSC struct {
	// Identity, false: none of the three below.
	Identity bool `toml:"identity"`
	// HostKeys makes new SSH host keys of the types the image has.
	HostKeys bool `toml:"host_keys"`
	// MachineID writes a fresh etc/machine-id (an empty one stays empty).
	MachineID bool `toml:"machine_id"`
	// Hostname sets the host name from the JSON domain.name.
	Hostname bool `toml:"hostname"`
}

// Defaults returns the built-in settings.
func Defaults() Settings {
	return Settings{
		OSM: OSM{
			StatusInterval:  Duration(5 * time.Second),
			StatusTimeout:   Duration(30 * time.Second),
			ReconnectMin:    Duration(1 * time.Second),
			ReconnectMax:    Duration(60 * time.Second),
			DiscoveryWindow: Duration(15 * time.Second),
			StateFile:       "/LuoYun/run/osm.json",
		},
		Web: Web{Port: 8080, Procs: 1},
		WebSSH: WebSSH{
			Port:           8001,
			Command:        []string{"/bin/login"},
			LoginFront:     true,
			MaxSessions:    8,
			IdleTimeout:    Duration(30 * time.Minute),
			UploadMaxMB:    100,
			TransferRateMB: 64,
		},
		Log:    Log{MaxSizeMB: 1, MaxBackups: 1},
		Memory: Memory{TrimInterval: Duration(time.Minute)},
		Floppy: Floppy{Device: "/dev/fd0", Wait: Duration(5 * time.Second)},
		OSC:    OSC{Identity: true, HostKeys: true, MachineID: true, Hostname: true},
	}
}

// Validate checks every value (the same checks as the file's keys get)
// and the pairs of values that go together.
func (s *Settings) Validate() error {
	var errs []error
	for _, k := range checkOrder {
		if err := checks[k](s); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
		}
	}
	for _, pc := range pairChecks {
		if err := pc.check(s); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", pc.section, err))
		}
	}
	return errors.Join(errs...)
}

// Duration is a time.Duration written in TOML as a string such as "5s".
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalText parses "5s", "1m30s" and the like.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("%q is not a duration (write it like \"5s\" or \"1m\")", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText formats like time.Duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
