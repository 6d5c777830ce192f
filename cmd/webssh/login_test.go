package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap/zaptest"

	"github.com/luoyun/osmanager/internal/servetest"
	"github.com/luoyun/osmanager/internal/testbin"
	"github.com/luoyun/osmanager/pkg/termproto"
	"github.com/luoyun/osmanager/pkg/webssh"
)

// TestLoginFront runs the real `webssh login` on a session's terminal:
// it refuses an option for a name and hands a user to this system's
// /bin/login, which asks for the password. (Root on a system whose
// securetty shuts it out is the VM test's part: test/vmtest.)
func TestLoginFront(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: /bin/login needs root")
	}
	if _, err := os.Stat("/bin/login"); err != nil {
		t.Skipf("skipping: %v", err)
	}
	bin := testbin.Path(t, "webssh")
	s, err := webssh.New(webssh.Config{Addr: "127.0.0.1:0", Command: []string{bin, "login"}, MaxSessions: 2,
		Grace: 500 * time.Millisecond}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	servetest.Start(t, s)
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+s.Addr().String()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var out bytes.Buffer
	var total uint32
	waitFor := func(want string) {
		t.Helper()
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		for !strings.Contains(out.String(), want) {
			kind, data, err := ws.ReadMessage()
			if err != nil {
				t.Fatalf("waiting for %q: %v; output %q", want, err, out.String())
			}
			if kind == websocket.BinaryMessage {
				out.Write(data)
				total += uint32(len(data))
				_ = ws.WriteMessage(websocket.BinaryMessage, termproto.Ack(total).AppendMarshal(nil))
			}
		}
	}
	send := func(s string) {
		if err := ws.WriteMessage(websocket.BinaryMessage, termproto.Input([]byte(s)).AppendMarshal(nil)); err != nil {
			t.Fatal(err)
		}
	}
	host, _ := os.Hostname()
	waitFor(host + " login: ")
	send("-f root\r")
	waitFor("Login incorrect")
	out.Reset()
	send("nosuchuser\r")
	waitFor("assword:")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws.Close()
	for s.Sessions() != 0 && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	if s.Sessions() != 0 {
		t.Fatal("session still open after the page went away")
	}
}
