package procinfo

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// tcpListen is the state of a listening socket in /proc/net/tcp.
const tcpListen = "0A"

// ListenSocket is one listening TCP socket of /proc/net/tcp or tcp6.
type ListenSocket struct {
	// Addr is the local address, "127.0.0.1:8080" or "[::]:8001".
	Addr string
	// Inode identifies the socket; /proc/PID/fd links name it.
	Inode string
}

// ParseNetTCP returns the listening sockets of a /proc/net/tcp or
// /proc/net/tcp6 table. Lines it cannot read are skipped.
func ParseNetTCP(b []byte) []ListenSocket {
	var out []ListenSocket
	for i, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		if i == 0 || len(f) < 10 || f[3] != tcpListen {
			continue
		}
		addr, err := decodeAddr(f[1])
		if err != nil {
			continue
		}
		out = append(out, ListenSocket{Addr: addr, Inode: f[9]})
	}
	return out
}

// decodeAddr turns "0100007F:1F90" into "127.0.0.1:8080". The address is
// in the kernel's byte order, one 32-bit word at a time.
func decodeAddr(s string) (string, error) {
	hexIP, hexPort, ok := strings.Cut(s, ":")
	if !ok {
		return "", errors.New("no ':'")
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return "", fmt.Errorf("port %q: not hexadecimal", hexPort)
	}
	raw, err := hex.DecodeString(hexIP)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return "", fmt.Errorf("address %q: not 4 or 16 hexadecimal bytes", hexIP)
	}
	ip := make(net.IP, len(raw))
	for w := 0; w < len(raw); w += 4 {
		// Each 32-bit word is written as a little-endian number.
		ip[w], ip[w+1], ip[w+2], ip[w+3] = raw[w+3], raw[w+2], raw[w+1], raw[w]
	}
	if v4 := ip.To4(); v4 != nil {
		ip = v4 // an IPv4-mapped address reads as IPv4
	}
	return net.JoinHostPort(ip.String(), strconv.FormatUint(port, 10)), nil
}

// Listening returns the TCP addresses the process pid listens on, sorted,
// from the socket links in /proc/PID/fd (readable by the process's owner
// and root) and the tables of the process's network namespace.
func Listening(root string, pid int) ([]string, error) {
	dir := filepath.Join(root, strconv.Itoa(pid))
	ents, err := os.ReadDir(filepath.Join(dir, "fd"))
	if err != nil {
		return nil, err
	}
	inodes := map[string]bool{}
	for _, e := range ents {
		l, err := os.Readlink(filepath.Join(dir, "fd", e.Name()))
		if err != nil {
			continue
		}
		if in, ok := strings.CutPrefix(l, "socket:["); ok {
			inodes[strings.TrimSuffix(in, "]")] = true
		}
	}
	if len(inodes) == 0 {
		return nil, nil
	}
	var out []string
	for _, table := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(filepath.Join(dir, "net", table))
		if err != nil {
			continue // no IPv6
		}
		for _, s := range ParseNetTCP(b) {
			if inodes[s.Inode] {
				out = append(out, s.Addr)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
