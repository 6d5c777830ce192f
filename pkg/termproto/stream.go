package termproto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The HTTP fallback transport (for proxies that pass no websocket) carries
// the same messages in two more envelopes.
//
// Server to page, the body of one long-lived response, a sequence of
// frames:
//
//	kind:u8 length:u32 payload[length]
//
// with kind FrameSession (payload: the session's id, ASCII; always the
// first frame), FrameOutput (raw terminal output), FrameNotice (a Notice's
// JSON) or FrameKeepAlive (no payload; keeps idle proxies from closing
// the stream).
//
// Page to server, the body of one POST, a batch of messages in order:
//
//	length:u16 message[length]   (repeated; message as Parse takes it)

// Stream frame kinds.
const (
	FrameSession   byte = 's'
	FrameOutput    byte = 'o'
	FrameNotice    byte = 'n'
	FrameKeepAlive byte = 'k'
)

// FrameHeader is the size of a stream frame's header.
const FrameHeader = 5

// MaxFrame bounds a stream frame's payload; writers split longer output.
const MaxFrame = 1 << 20

// MaxBatch bounds a POST body of messages; the page sends larger input in
// several.
const MaxBatch = 64 << 10

// Errors of the HTTP transport's envelopes.
var (
	ErrFrameKind = errors.New("termproto: unknown stream frame kind")
	ErrBatch     = errors.New("termproto: malformed batch")
)

// AppendFrameHeader appends the header of a stream frame of kind with n
// bytes of payload.
func AppendFrameHeader(b []byte, kind byte, n int) []byte {
	b = append(b, kind)
	return binary.BigEndian.AppendUint32(b, uint32(n))
}

// AppendFrame appends a whole stream frame.
func AppendFrame(b []byte, kind byte, payload []byte) []byte {
	return append(AppendFrameHeader(b, kind, len(payload)), payload...)
}

// ReadFrame reads one stream frame from r. It returns io.EOF only at a
// frame boundary; a frame cut short is io.ErrUnexpectedEOF. It never
// allocates more than MaxFrame for the payload.
func ReadFrame(r io.Reader) (kind byte, payload []byte, err error) {
	var h [FrameHeader]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	kind = h[0]
	switch kind {
	case FrameSession, FrameOutput, FrameNotice, FrameKeepAlive:
	default:
		return 0, nil, fmt.Errorf("0x%02x: %w", kind, ErrFrameKind)
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n > MaxFrame {
		return 0, nil, fmt.Errorf("stream frame of %d bytes: %w", n, ErrLong)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return kind, payload, nil
}

// AppendBatch appends msgs to b as one batch.
func AppendBatch(b []byte, msgs ...Message) []byte {
	for _, m := range msgs {
		at := len(b)
		b = append(b, 0, 0)
		b = m.AppendMarshal(b)
		binary.BigEndian.PutUint16(b[at:], uint16(len(b)-at-2))
	}
	return b
}

// SplitBatch splits a POST body into its messages, each checked with
// Parse; the messages alias b. A body with any malformed message is
// refused whole, so that none of it is applied. An empty body is an empty
// batch.
func SplitBatch(b []byte) ([][]byte, error) {
	if len(b) > MaxBatch {
		return nil, fmt.Errorf("batch of %d bytes: %w", len(b), ErrLong)
	}
	var out [][]byte
	for off := 0; off < len(b); {
		if len(b)-off < 2 {
			return nil, fmt.Errorf("%w: %d stray bytes at %d", ErrBatch, len(b)-off, off)
		}
		n := int(binary.BigEndian.Uint16(b[off:]))
		off += 2
		if n > len(b)-off {
			return nil, fmt.Errorf("%w: message of %d bytes at %d, %d left", ErrBatch, n, off-2, len(b)-off)
		}
		m := b[off : off+n : off+n]
		if _, err := Parse(m); err != nil {
			return nil, fmt.Errorf("%w: message at %d: %w", ErrBatch, off-2, err)
		}
		out = append(out, m)
		off += n
	}
	return out, nil
}
