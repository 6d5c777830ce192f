package health

import (
	"net"
	"path/filepath"
	"strconv"

	"github.com/luoyun/osmanager/pkg/lyconf"
	"github.com/luoyun/osmanager/pkg/settings"
)

// portFrom says where the port webssh listens on comes from, by the rule
// webssh and web share (settings.WebSSHPortFrom) applied to the tree's
// conf/luoyun.conf and custom/osmanager.toml: settings.PortFromCloud,
// PortFromSettings, or PortFromOption when neither gives the port it
// listens on (-p, LUOYUN_WEBSSH_PORT). note is the override of the
// settings file's port by the cloud, or "".
func portFrom(dir string, listen []string) (port int, from, note string) {
	if len(listen) == 0 {
		return 0, "", ""
	}
	_, ps, err := net.SplitHostPort(listen[0])
	if err != nil {
		return 0, "", ""
	}
	port, _ = strconv.Atoi(ps)
	set, _, _ := settings.Load(filepath.Join(dir, "custom", "osmanager.toml"), true)
	var inst *lyconf.Instance
	if c, err := lyconf.Load(filepath.Join(dir, "conf", "luoyun.conf")); err == nil {
		inst = &c.Instance
	}
	p, from, _ := settings.WebSSHPortFrom(0, inst, set.WebSSH.Port)
	switch {
	case p != port:
		return port, settings.PortFromOption, ""
	case from == settings.PortFromCloud && p != set.WebSSH.Port:
		return port, from, settings.CloudPortWins(p, set.WebSSH.Port)
	}
	return port, from, ""
}
