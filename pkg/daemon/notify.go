package daemon

import (
	"fmt"
	"net"
	"os"
)

// NotifySocketEnv names the service manager's notification socket
// (systemd's sd_notify protocol).
const NotifySocketEnv = "NOTIFY_SOCKET"

// Notify sends state (such as "READY=1") to the socket named by
// NOTIFY_SOCKET, a unix datagram socket: a path, or an abstract name
// written with a leading '@'. Without NOTIFY_SOCKET it does nothing and
// returns nil.
func Notify(state string) error {
	name := os.Getenv(NotifySocketEnv)
	if name == "" {
		return nil
	}
	if name[0] != '/' && name[0] != '@' {
		return fmt.Errorf("%s=%q: neither a path nor an abstract name", NotifySocketEnv, name)
	}
	// net maps a leading '@' to the abstract namespace.
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify %s: %w", name, err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("notify %s: %w", name, err)
	}
	return nil
}
