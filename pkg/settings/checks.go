package settings

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// checks holds the one check of each key's value, by "section.key"; a key
// without an entry takes any value of its type.
var checks = map[string]func(s *Settings) error{
	"osm.status_interval":  positive(func(s *Settings) Duration { return s.OSM.StatusInterval }),
	"osm.status_timeout":   positive(func(s *Settings) Duration { return s.OSM.StatusTimeout }),
	"osm.reconnect_min":    positive(func(s *Settings) Duration { return s.OSM.ReconnectMin }),
	"osm.reconnect_max":    positive(func(s *Settings) Duration { return s.OSM.ReconnectMax }),
	"osm.discovery_window": positive(func(s *Settings) Duration { return s.OSM.DiscoveryWindow }),
	"web.port":             port(func(s *Settings) int { return s.Web.Port }),
	"web.procs":            atLeast(0, func(s *Settings) int { return s.Web.Procs }),
	"webssh.port":          port(func(s *Settings) int { return s.WebSSH.Port }),
	"webssh.command": func(s *Settings) error {
		if len(s.WebSSH.Command) == 0 || s.WebSSH.Command[0] == "" {
			return errors.New(`must name a program, such as ["/bin/login"]`)
		}
		return nil
	},
	"webssh.max_sessions":     atLeast(1, func(s *Settings) int { return s.WebSSH.MaxSessions }),
	"webssh.idle_timeout":     positive(func(s *Settings) Duration { return s.WebSSH.IdleTimeout }),
	"webssh.upload_max_mb":    atLeast(0, func(s *Settings) int { return s.WebSSH.UploadMaxMB }),
	"webssh.transfer_rate_mb": atLeast(0, func(s *Settings) int { return s.WebSSH.TransferRateMB }),
	"log.max_size_mb":         atLeast(1, func(s *Settings) int { return s.Log.MaxSizeMB }),
	"log.max_backups":         atLeast(0, func(s *Settings) int { return s.Log.MaxBackups }),
	"memory.trim_interval": func(s *Settings) error {
		if d := s.Memory.TrimInterval; d != 0 && d < Duration(time.Second) {
			return fmt.Errorf("must be 0 (never) or at least 1s, got %s", d)
		}
		return nil
	},
	"floppy.device": nonEmpty(func(s *Settings) string { return s.Floppy.Device }),
	"floppy.wait": func(s *Settings) error {
		if s.Floppy.Wait < 0 {
			return fmt.Errorf("must not be negative, got %s", s.Floppy.Wait)
		}
		return nil
	},
	"webssh.trusted_proxies": func(s *Settings) error {
		return addrsOrPrefixes(s.WebSSH.TrustedProxies)
	},
}

// checkOrder is the order Validate reports in: the file's order.
var checkOrder = []string{
	"osm.status_interval", "osm.status_timeout", "osm.reconnect_min", "osm.reconnect_max",
	"osm.discovery_window", "web.port", "web.procs", "webssh.port",
	"webssh.command", "webssh.max_sessions", "webssh.idle_timeout", "webssh.trusted_proxies", "webssh.upload_max_mb",
	"webssh.transfer_rate_mb", "log.max_size_mb",
	"log.max_backups", "memory.trim_interval", "floppy.device", "floppy.wait",
}

// pairCheck is a check of two keys that go together; when it fails, both
// take their defaults.
type pairCheck struct {
	section string
	keys    [2]string
	check   func(s *Settings) error
}

var pairChecks = []pairCheck{
	{SectionOSM, [2]string{"reconnect_min", "reconnect_max"}, func(s *Settings) error {
		if s.OSM.ReconnectMax < s.OSM.ReconnectMin {
			return fmt.Errorf("reconnect_max (%s) is below reconnect_min (%s)", s.OSM.ReconnectMax, s.OSM.ReconnectMin)
		}
		return nil
	}},
	{SectionWebSSH, [2]string{"tls_cert", "tls_key"}, func(s *Settings) error {
		if (s.WebSSH.TLSCert == "") != (s.WebSSH.TLSKey == "") {
			return errors.New("tls_cert and tls_key go together: set both or neither")
		}
		return nil
	}},
}

func positive(get func(*Settings) Duration) func(*Settings) error {
	return func(s *Settings) error {
		if d := get(s); d <= 0 {
			return fmt.Errorf("must be positive, got %s", d)
		}
		return nil
	}
}

func port(get func(*Settings) int) func(*Settings) error {
	return func(s *Settings) error {
		if p := get(s); p < 1 || p > 65535 {
			return fmt.Errorf("must be a port 1..65535, got %d", p)
		}
		return nil
	}
}

func atLeast(min int, get func(*Settings) int) func(*Settings) error {
	return func(s *Settings) error {
		if v := get(s); v < min {
			return fmt.Errorf("must be at least %d, got %d", min, v)
		}
		return nil
	}
}

// addrsOrPrefixes checks a list of IP addresses or CIDR prefixes, as
// webssh.ParseTrusted reads them.
func addrsOrPrefixes(list []string) error {
	for _, v := range list {
		v = strings.TrimSpace(v)
		if _, err := netip.ParsePrefix(v); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(v); err != nil {
			return fmt.Errorf("%q is not an IP address or prefix (such as \"10.0.0.1\" or \"10.0.0.0/8\")", v)
		}
	}
	return nil
}

func nonEmpty(get func(*Settings) string) func(*Settings) error {
	return func(s *Settings) error {
		if get(s) == "" {
			return errors.New("must not be empty")
		}
		return nil
	}
}
