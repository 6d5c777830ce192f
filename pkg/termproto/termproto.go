// Package termproto is the web terminal's message protocol between the
// browser page and the server.
//
// Browser to server: one binary websocket frame per message, first byte the
// type:
//
//	'i' data...           keyboard input or paste, raw bytes (UTF-8 text)
//	'r' cols:u16 rows:u16  the terminal's size, big-endian (clamped to MaxDimension)
//	'a' total:u32          output bytes the page has rendered so far, modulo 2^32
//
// Server to browser: binary frames carry terminal output, raw bytes, with
// no header (the page hands them to xterm.js, which decodes UTF-8 across
// frame boundaries); text frames carry a JSON Notice.
package termproto

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// Type is a browser-to-server message type.
type Type byte

// Message types.
const (
	TypeInput  Type = 'i'
	TypeResize Type = 'r'
	TypeAck    Type = 'a'
)

// MaxInput bounds the data of one input message; the page splits longer
// pastes.
const MaxInput = 16 << 10

// MaxMessage is the largest valid browser-to-server frame.
const MaxMessage = 1 + MaxInput

// MaxDimension bounds the columns and rows of a resize: Parse clamps a
// larger size to it (a 4K screen at 25 % zoom asks for ~2000 columns), so
// a huge window gets a working terminal of the largest size, not an error.
const MaxDimension = 1000

// Errors from Parse.
var (
	ErrShort   = errors.New("termproto: message too short")
	ErrLong    = errors.New("termproto: message too long")
	ErrType    = errors.New("termproto: unknown message type")
	ErrBadSize = errors.New("termproto: terminal size out of range")
)

// Message is one parsed browser-to-server message.
type Message struct {
	Type Type
	// Data is the input of TypeInput; it aliases the parsed buffer.
	Data []byte
	// Cols and Rows are the size of TypeResize.
	Cols, Rows uint16
	// Acked is the running total of TypeAck.
	Acked uint32
}

// Parse decodes one frame. It never panics; any malformed frame is an
// error.
func Parse(b []byte) (Message, error) {
	if len(b) == 0 {
		return Message{}, ErrShort
	}
	if len(b) > MaxMessage {
		return Message{}, ErrLong
	}
	m := Message{Type: Type(b[0])}
	body := b[1:]
	switch m.Type {
	case TypeInput:
		m.Data = body
	case TypeResize:
		if len(body) != 4 {
			return Message{}, fmt.Errorf("resize of %d bytes: %w", len(body), ErrShort)
		}
		m.Cols = binary.BigEndian.Uint16(body)
		m.Rows = binary.BigEndian.Uint16(body[2:])
		if m.Cols == 0 || m.Rows == 0 {
			return Message{}, fmt.Errorf("%dx%d: %w", m.Cols, m.Rows, ErrBadSize)
		}
		m.Cols, m.Rows = min(m.Cols, MaxDimension), min(m.Rows, MaxDimension)
	case TypeAck:
		if len(body) != 4 {
			return Message{}, fmt.Errorf("ack of %d bytes: %w", len(body), ErrShort)
		}
		m.Acked = binary.BigEndian.Uint32(body)
	default:
		return Message{}, fmt.Errorf("0x%02x: %w", b[0], ErrType)
	}
	return m, nil
}

// AppendMarshal appends the wire form of m to b.
func (m Message) AppendMarshal(b []byte) []byte {
	b = append(b, byte(m.Type))
	switch m.Type {
	case TypeInput:
		b = append(b, m.Data...)
	case TypeResize:
		b = binary.BigEndian.AppendUint16(b, m.Cols)
		b = binary.BigEndian.AppendUint16(b, m.Rows)
	case TypeAck:
		b = binary.BigEndian.AppendUint32(b, m.Acked)
	}
	return b
}

// Input returns an input message.
func Input(data []byte) Message { return Message{Type: TypeInput, Data: data} }

// Resize returns a resize message.
func Resize(cols, rows uint16) Message { return Message{Type: TypeResize, Cols: cols, Rows: rows} }

// Ack returns an acknowledgement of total rendered bytes.
func Ack(total uint32) Message { return Message{Type: TypeAck, Acked: total} }

// Notice kinds sent to the browser.
const (
	NoticeExit  = "exit"  // the command ended
	NoticeIdle  = "idle"  // the idle timeout ended the session
	NoticeBusy  = "busy"  // max_sessions reached
	NoticeError = "error" // the session could not start or broke
	NoticeTitle = "title" // the page's title
)

// Notice is a server-to-browser control message, sent as a JSON text
// frame.
type Notice struct {
	Kind string `json:"kind"`
	Text string `json:"text,omitempty"`
}

// Marshal returns the JSON text of n.
func (n Notice) Marshal() []byte {
	b, _ := json.Marshal(n) // cannot fail: two strings
	return b
}

// ParseNotice decodes a text frame from the server.
func ParseNotice(b []byte) (Notice, error) {
	var n Notice
	if err := json.Unmarshal(b, &n); err != nil {
		return Notice{}, fmt.Errorf("termproto: notice: %w", err)
	}
	if n.Kind == "" {
		return Notice{}, errors.New("termproto: notice without kind")
	}
	return n, nil
}
