package clcproto

import (
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Register results (OSM_REGISTER_REPLY).
const (
	RegisterOK     int32 = 1021
	RegisterFailed int32 = 1022
)

// OSM status codes.
const (
	OSMUnknown         = 0
	OSMInit            = 2
	OSMUnauthenticated = 4
	OSMAuthenticating  = 5
	OSMAuthenticated   = 6
	OSMUnregistered    = 7
	OSMRegistering     = 8
	OSMRegistered      = 9
)

// Application status codes (OSM_REPORT): 2000 + the status script's exit
// code for 0..255, as the original; these are the named ones.
const (
	AppRunning = 2000 // status script exited 0: the CLC marks the instance serving
	AppUnknown = 2128 // no script, killed by a signal, could not run, timed out
	AppStopped = 2129 // LY_S_APP_STOPPED: a script may exit 129
	AppFailed  = 2130 // LY_S_APP_FAILED: a script may exit 130
)

// Instance status codes of a query reply.
const (
	QueryRunning = 4 // last report was not 2000
	QueryServing = 5 // last report was 2000
)

// AppendInt32 appends v little-endian: the data of OSM_REGISTER_REPLY,
// OSM_REPORT and CLC_OSM_QUERY_REQUEST.
func AppendInt32(b []byte, v int32) []byte {
	return binary.LittleEndian.AppendUint32(b, uint32(v))
}

// ParseInt32 decodes a 4-byte little-endian int32.
func ParseInt32(data []byte) (int32, error) {
	if len(data) != 4 {
		return 0, fmt.Errorf("int32 payload: %d bytes, want 4", len(data))
	}
	return int32(binary.LittleEndian.Uint32(data)), nil
}

// Join is the data of a JOIN_REQUEST datagram: where the controller listens.
type Join struct {
	IP   string
	Port int
}

// Addr returns "ip:port".
func (j Join) Addr() string { return net.JoinHostPort(j.IP, strconv.Itoa(j.Port)) }

// AppendMarshal appends "join <ip> <port>" (no NUL).
func (j Join) AppendMarshal(b []byte) []byte {
	return fmt.Appendf(b, "join %s %d", j.IP, j.Port)
}

// ParseJoin decodes "join <ip> <port>"; the ip must be an IPv4 address, the
// port 1..65535. A trailing NUL or newline is tolerated.
func ParseJoin(data []byte) (Join, error) {
	f := strings.Fields(strings.TrimRight(string(data), "\x00"))
	if len(f) != 3 || f[0] != "join" {
		return Join{}, fmt.Errorf("join request: not \"join <ip> <port>\"")
	}
	ip := net.ParseIP(f[1])
	if ip == nil || ip.To4() == nil {
		return Join{}, fmt.Errorf("join request: bad address %q", clip(f[1]))
	}
	port, err := strconv.Atoi(f[2])
	if err != nil || port < 1 || port > 65535 {
		return Join{}, fmt.Errorf("join request: bad port %q", clip(f[2]))
	}
	return Join{IP: ip.To4().String(), Port: port}, nil
}

// Register is the data of OSM_REGISTER_REQUEST: "<tag> <status> <ip>".
type Register struct {
	Tag    int32
	Status int32
	IP     string // the local address of the connection, or "empty"
}

// AppendMarshal appends "<tag> <status> <ip>" (no NUL).
func (r Register) AppendMarshal(b []byte) []byte {
	return fmt.Appendf(b, "%d %d %s", r.Tag, r.Status, r.IP)
}

// ParseRegister decodes "<tag> <status> <ip>".
func ParseRegister(data []byte) (Register, error) {
	f := strings.Fields(strings.TrimRight(string(data), "\x00"))
	if len(f) != 3 {
		return Register{}, fmt.Errorf("register request: want \"<tag> <status> <ip>\"")
	}
	tag, err1 := strconv.ParseInt(f[0], 10, 32)
	st, err2 := strconv.ParseInt(f[1], 10, 32)
	if err1 != nil || err2 != nil {
		return Register{}, fmt.Errorf("register request: bad number")
	}
	if !printable(f[2]) {
		return Register{}, fmt.Errorf("register request: control character in the address %q", clip(f[2]))
	}
	return Register{Tag: int32(tag), Status: int32(st), IP: f[2]}, nil
}

// QueryAnswer is the data of CLC_OSM_QUERY_REPLY:
// "<jobid> <tag> <status> <ip>".
type QueryAnswer struct {
	Job    int32
	Tag    int32
	Status int32 // QueryServing or QueryRunning
	IP     string
}

// AppendMarshal appends "<jobid> <tag> <status> <ip>" (no NUL).
func (q QueryAnswer) AppendMarshal(b []byte) []byte {
	return fmt.Appendf(b, "%d %d %d %s", q.Job, q.Tag, q.Status, q.IP)
}

// ParseQueryAnswer decodes "<jobid> <tag> <status> <ip>".
func ParseQueryAnswer(data []byte) (QueryAnswer, error) {
	f := strings.Fields(strings.TrimRight(string(data), "\x00"))
	if len(f) != 4 {
		return QueryAnswer{}, fmt.Errorf("query reply: want \"<jobid> <tag> <status> <ip>\"")
	}
	var n [3]int64
	for i := range n {
		v, err := strconv.ParseInt(f[i], 10, 32)
		if err != nil {
			return QueryAnswer{}, fmt.Errorf("query reply: bad number %q", clip(f[i]))
		}
		n[i] = v
	}
	if !printable(f[3]) {
		return QueryAnswer{}, fmt.Errorf("query reply: control character in the address %q", clip(f[3]))
	}
	return QueryAnswer{Job: int32(n[0]), Tag: int32(n[1]), Status: int32(n[2]), IP: f[3]}, nil
}

// QueryStatus returns the query reply's status for the last application
// report: serving after 2000, running otherwise.
func QueryStatus(lastReport int32) int32 {
	if lastReport == AppRunning {
		return QueryServing
	}
	return QueryRunning
}

// printable reports whether s has no ASCII control character (a NUL
// inside the address would not survive the trip back through AppendMarshal).
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
