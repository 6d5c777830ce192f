package termbridge

import (
	"fmt"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luoyun/osmanager/pkg/termproto"
)

// Conn is the page side of a session: a transport that carries termproto
// messages from the page, and terminal output and notices to it. The
// bridge calls ReadMessage from one goroutine and the Write methods from
// one other; Close comes last, once no write is under way.
type Conn interface {
	// ReadMessage returns the next message from the page, one termproto
	// frame. An error wrapping ErrProtocol ends the session with a
	// "protocol error" notice; any other error means the page went away.
	ReadMessage() ([]byte, error)
	// WriteOutput sends terminal output (raw bytes), giving up at
	// deadline.
	WriteOutput(p []byte, deadline time.Time) error
	// WriteNotice sends a notice, giving up at deadline.
	WriteNotice(n termproto.Notice, deadline time.Time) error
	// Close says goodbye where the transport can and releases it; a
	// ReadMessage under way returns.
	Close() error
}

// WebSocket returns ws as a Conn: binary frames are messages and output,
// text frames notices; a text frame from the page is a protocol error and
// a frame larger than termproto.MaxMessage ends the session.
func WebSocket(ws *websocket.Conn) Conn {
	ws.SetReadLimit(termproto.MaxMessage)
	return wsConn{ws}
}

type wsConn struct{ ws *websocket.Conn }

func (c wsConn) ReadMessage() ([]byte, error) {
	kind, data, err := c.ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	if kind != websocket.BinaryMessage {
		return nil, fmt.Errorf("%w: text frame", ErrProtocol)
	}
	return data, nil
}

func (c wsConn) WriteOutput(p []byte, deadline time.Time) error {
	_ = c.ws.SetWriteDeadline(deadline)
	return c.ws.WriteMessage(websocket.BinaryMessage, p)
}

func (c wsConn) WriteNotice(n termproto.Notice, deadline time.Time) error {
	_ = c.ws.SetWriteDeadline(deadline)
	return c.ws.WriteMessage(websocket.TextMessage, n.Marshal())
}

// Close sends a normal close frame (best effort, one second) and closes
// the connection.
func (c wsConn) Close() error {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "session ended")
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	return c.ws.Close()
}
