package clcsim

import (
	"fmt"
	"strconv"
)

// Event kinds, the first words of Event.String.
const (
	Listening       = "listening"
	AuthOK          = "auth ok"
	AuthFailed      = "auth failed"
	Registered      = "registered"
	RegisterRefused = "register refused"
	ReportEvent     = "report"
	QueryEvent      = "query"
	EchoEvent       = "echo"
	Disconnected    = "disconnected"
)

// Event is one thing that happened, printed by `osm clc` as one line.
type Event struct {
	Kind   string
	Addr   string // Listening: the bound address
	Tag    int32
	From   string // the instance's address
	IP     string // Registered: the ip the instance registered with
	Status int32  // ReportEvent: the application status
	Job    int32  // QueryEvent: the job id
	Reply  string // QueryEvent: the raw reply text
	OK     bool   // EchoEvent: whether the reply carried the same data
	Reason string // AuthFailed: one word (wrong-key, unknown-tag, closed, timeout, protocol)
}

// String returns the event's line, in the shapes other components' tests
// parse:
//
//	listening addr=127.0.0.1:41234
//	auth ok tag=42 from=127.0.0.1:5555
//	auth failed tag=42 from=127.0.0.1:5555 reason=wrong-key
//	registered tag=42 ip=10.0.2.15 from=127.0.0.1:5555
//	register refused tag=42 ip=10.0.2.15 from=127.0.0.1:5555
//	report tag=42 status=2000
//	query tag=42 job=7 reply="7 42 5 10.0.2.15"
//	echo tag=42 ok
//	disconnected tag=42 from=127.0.0.1:5555
func (e Event) String() string {
	switch e.Kind {
	case Listening:
		return "listening addr=" + e.Addr
	case AuthOK, Disconnected:
		return fmt.Sprintf("%s tag=%d from=%s", e.Kind, e.Tag, e.From)
	case AuthFailed:
		return fmt.Sprintf("auth failed tag=%d from=%s reason=%s", e.Tag, e.From, e.Reason)
	case Registered, RegisterRefused:
		return fmt.Sprintf("%s tag=%d ip=%s from=%s", e.Kind, e.Tag, e.IP, e.From)
	case ReportEvent:
		return fmt.Sprintf("report tag=%d status=%d", e.Tag, e.Status)
	case QueryEvent:
		return fmt.Sprintf("query tag=%d job=%d reply=%s", e.Tag, e.Job, strconv.Quote(e.Reply))
	case EchoEvent:
		r := "ok"
		if !e.OK {
			r = "mismatch"
		}
		return fmt.Sprintf("echo tag=%d %s", e.Tag, r)
	}
	return e.Kind
}
