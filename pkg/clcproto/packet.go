// Package clcproto is the wire protocol between an instance's registrar
// (osm) and the LuoYun Cloud Controller (CLC): the 8-byte packet header
// (int32 type, int32 length, little-endian), the message types, the
// AuthInfo block of the mutual RC4 challenge, and the small payloads of
// registration, reports, queries and multicast joins.
//
// Every parser takes untrusted bytes and returns an error, never panics;
// ReadPacket checks the length field against the controller's 40,960-byte
// limit before it allocates.
package clcproto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Type is a packet's message type.
type Type int32

// Message types.
const (
	JoinRequest     Type = 101   // CLC -> multicast: "join <ip> <port>"
	EchoRequest     Type = 901   // either way: any data
	EchoReply       Type = 902   // the request's data
	QueryRequest    Type = 20033 // CLC -> OSM: int32 job id
	QueryReply      Type = 20034 // OSM -> CLC: "<jobid> <tag> <status> <ip>"
	RegisterRequest Type = 40001 // OSM -> CLC: "<tag> <osm status> <ip>"
	RegisterReply   Type = 40002 // CLC -> OSM: int32 result
	Report          Type = 40003 // OSM -> CLC: int32 application status
	AuthRequest     Type = 40011 // both ways: AuthInfo
	AuthReply       Type = 40012 // both ways: AuthInfo
)

var typeNames = map[Type]string{
	JoinRequest:     "JOIN_REQUEST",
	EchoRequest:     "TEST_ECHO_REQUEST",
	EchoReply:       "TEST_ECHO_REPLY",
	QueryRequest:    "CLC_OSM_QUERY_REQUEST",
	QueryReply:      "CLC_OSM_QUERY_REPLY",
	RegisterRequest: "OSM_REGISTER_REQUEST",
	RegisterReply:   "OSM_REGISTER_REPLY",
	Report:          "OSM_REPORT",
	AuthRequest:     "OSM_AUTH_REQUEST",
	AuthReply:       "OSM_AUTH_REPLY",
}

// String returns the protocol's name of t, or "TYPE_<n>" for an unknown one.
func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("TYPE_%d", int32(t))
}

// Known reports whether t is one of the protocol's message types.
func (t Type) Known() bool { _, ok := typeNames[t]; return ok }

const (
	// HeaderSize is the size of a packet header: int32 type, int32 length.
	HeaderSize = 8
	// Limit is the controller's packet limit: header plus data must stay
	// below it.
	Limit = 40960
	// MaxData is the largest data length a packet may carry.
	MaxData = Limit - HeaderSize - 1
)

// Errors of the packet layer.
var (
	// ErrShort means the input ended before the packet did.
	ErrShort = errors.New("clcproto: short packet")
	// ErrTooLarge means a length field beyond the 40,960-byte limit (or
	// negative); the connection cannot be trusted any more.
	ErrTooLarge = errors.New("clcproto: packet length beyond limit")
)

// Packet is one message: its type and its data.
type Packet struct {
	Type Type
	Data []byte
}

// AppendMarshal appends p's wire form (header and data) to b.
// It returns an error if the data is too large to send.
func AppendMarshal(b []byte, p Packet) ([]byte, error) {
	if len(p.Data) > MaxData {
		return b, fmt.Errorf("%w: %s with %d bytes of data", ErrTooLarge, p.Type, len(p.Data))
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(p.Type))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(p.Data)))
	return append(b, p.Data...), nil
}

// checkLength validates a header's length field.
func checkLength(n int32) error {
	if n < 0 || int64(n) > MaxData {
		return fmt.Errorf("%w: length %d", ErrTooLarge, n)
	}
	return nil
}

// Parse decodes one packet from b, which must hold at least the header and
// the data it announces; bytes after the packet are ignored (a datagram
// padded by its sender). Data aliases b.
func Parse(b []byte) (Packet, error) {
	if len(b) < HeaderSize {
		return Packet{}, ErrShort
	}
	t := Type(int32(binary.LittleEndian.Uint32(b)))
	n := int32(binary.LittleEndian.Uint32(b[4:]))
	if err := checkLength(n); err != nil {
		return Packet{}, err
	}
	if len(b)-HeaderSize < int(n) {
		return Packet{}, ErrShort
	}
	return Packet{Type: t, Data: b[HeaderSize : HeaderSize+int(n)]}, nil
}

// ReadPacket reads one packet from r. The length field is checked against
// the limit before any allocation; a zero-length packet is a valid packet
// with empty data. A stream that ends inside a packet gives
// io.ErrUnexpectedEOF, one that ends between packets io.EOF.
func ReadPacket(r io.Reader) (Packet, error) {
	var h [HeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Packet{}, err
	}
	t := Type(int32(binary.LittleEndian.Uint32(h[:])))
	n := int32(binary.LittleEndian.Uint32(h[4:]))
	if err := checkLength(n); err != nil {
		return Packet{Type: t}, err
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(r, data); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Packet{Type: t}, fmt.Errorf("read %s data: %w", t, err)
	}
	return Packet{Type: t, Data: data}, nil
}

// WritePacket writes p to w in one Write call.
func WritePacket(w io.Writer, p Packet) error {
	b, err := AppendMarshal(make([]byte, 0, HeaderSize+len(p.Data)), p)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write %s: %w", p.Type, err)
	}
	return nil
}
