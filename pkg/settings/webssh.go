package settings

import (
	"fmt"

	"github.com/luoyun/osmanager/pkg/lyconf"
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
	if explicit != 0 {
		return explicit, nil
	}
	if inst == nil || inst.WebSSH == nil || inst.WebSSH.Port == 0 {
		return configured, nil
	}
	if p := inst.WebSSH.Port; p < 1 || p > 65535 {
		return configured, fmt.Errorf("JSON webssh.port %d is not a port (1..65535); using %d", p, configured)
	}
	return int(inst.WebSSH.Port), nil
}
