package settings

import (
	"fmt"

	"github.com/luoyun/osmanager/pkg/lyconf"
)

// Where the web terminal's port comes from (WebSSHPortFrom).
const (
	PortFromOption   = "option"   // webssh -p, web --webssh-port (LUOYUN_WEBSSH_PORT)
	PortFromCloud    = "cloud"    // the cloud's JSON webssh.port in luoyun.conf
	PortFromSettings = "settings" // [webssh] port, or its default
)

// WebSSHPort is the one rule for the web terminal's port. webssh listens
// on it and web shows it as $websshport and $websshurl, so the page never
// points at a port nobody listens on:
//
//   - explicit, when not 0: webssh -p, web --webssh-port (osmanager.sh
//     passes LUOYUN_WEBSSH_PORT to both);
//   - else the cloud's JSON webssh.port, when it is a port (1..65535);
//   - else configured, the settings' [webssh] port.
//
// A JSON port out of range is ignored; the error says so, for a warning.
func WebSSHPort(explicit int, inst *lyconf.Instance, configured int) (int, error) {
	p, _, err := WebSSHPortFrom(explicit, inst, configured)
	return p, err
}

// WebSSHPortFrom is WebSSHPort, also saying where the port comes from:
// PortFromOption, PortFromCloud or PortFromSettings.
func WebSSHPortFrom(explicit int, inst *lyconf.Instance, configured int) (int, string, error) {
	if explicit != 0 {
		return explicit, PortFromOption, nil
	}
	if inst == nil || inst.WebSSH == nil || inst.WebSSH.Port == 0 {
		return configured, PortFromSettings, nil
	}
	if p := inst.WebSSH.Port; p < 1 || p > 65535 {
		return configured, PortFromSettings, fmt.Errorf("JSON webssh.port %d is not a port (1..65535); using %d", p, configured)
	}
	return int(inst.WebSSH.Port), PortFromCloud, nil
}

// CloudPortWins says that the cloud's JSON port overrides the settings'
// [webssh] port configured, naming both: what webssh logs at start and
// `osm status` shows.
func CloudPortWins(port, configured int) string {
	def := ""
	if configured == Defaults().WebSSH.Port {
		def = " (the default)"
	}
	return fmt.Sprintf("the cloud's JSON webssh.port %d overrides [webssh] port %d%s of the settings file", port, configured, def)
}
