package netconf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/luoyun/osmanager/pkg/procinfo"
)

// isDHCPClient reports whether name is the program name of a DHCP client
// osc knows.
func isDHCPClient(name string) bool {
	return name == "dhclient" || name == "dhcpcd" || name == "udhcpc"
}

// procClients lists the DHCP clients running in the network namespace
// whose nsfs inode is netns, from /proc under proc. A client's links are
// the interfaces its command line names (ifupdown runs `dhclient ... eth0`,
// `dhcpcd eth0`, `udhcpc -i eth0`); a client naming none serves every
// interface. Processes of other namespaces (the host's, when osc runs in
// a container or a test's namespace) are never listed.
func procClients(proc string, netns uint64, links []Link) ([]Client, error) {
	ents, err := os.ReadDir(proc)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	byName := map[string]int{}
	for _, l := range links {
		byName[l.Name] = l.Index
	}
	var out []Client
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		args := procinfo.Cmdline(proc, pid)
		if len(args) == 0 {
			continue // gone, or a kernel thread
		}
		name := filepath.Base(args[0])
		if !isDHCPClient(name) {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(filepath.Join(proc, e.Name(), "ns/net"), &st) != nil || st.Ino != netns {
			continue
		}
		c := Client{PID: pid, Name: name}
		seen := map[int]bool{}
		for _, a := range args[1:] {
			if i, ok := byName[a]; ok && !seen[i] {
				c.Links, seen[i] = append(c.Links, i), true
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// netnsInode returns the nsfs inode of a network namespace file
// (/proc/self/ns/net, a netns handle's /proc/self/fd/N).
func netnsInode(path string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("network namespace: %w", err)
	}
	return st.Ino, nil
}

// stopProcess ends pid: SIGTERM, then SIGKILL when it is still there
// after grace; it returns once the process has exited (or is a zombie,
// which no longer holds a lease), or an error after a further grace.
func stopProcess(proc string, pid int, grace time.Duration) error {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return fmt.Errorf("stop pid %d: %w", pid, err)
	}
	if waitGone(proc, pid, grace) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill pid %d: %w", pid, err)
	}
	if waitGone(proc, pid, grace) {
		return nil
	}
	return fmt.Errorf("pid %d still running after SIGKILL", pid)
}

// waitGone polls /proc/PID until the process is gone or a zombie.
func waitGone(proc string, pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if !procinfo.Alive(proc, pid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
