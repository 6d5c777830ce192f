package osm

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/luoyun/osmanager/pkg/clcproto"
)

// fake is a raw controller that runs handler on each connection.
type fake struct {
	ln      net.Listener
	mu      sync.Mutex
	accepts []time.Time
}

func startFake(t *testing.T, handler func(t *testing.T, c net.Conn)) *fake {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{ln: ln}
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.accepts = append(f.accepts, time.Now())
			f.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handler(t, c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return f
}

func (f *fake) addr() string { return f.ln.Addr().String() }

func (f *fake) waitAccepts(t *testing.T, n int) []time.Time {
	t.Helper()
	waitFor(t, "connections", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.accepts) >= n
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.accepts...)
}

// drain reads packets until the peer closes and returns their types.
func drain(c net.Conn) []clcproto.Type {
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	var types []clcproto.Type
	for {
		p, err := clcproto.ReadPacket(c)
		if err != nil {
			return types
		}
		types = append(types, p.Type)
	}
}

func keyFor(k string) clcproto.KeyFunc {
	return func(int32) ([]byte, error) { return []byte(k), nil }
}

func TestImpostorGetsNoRegister(t *testing.T) {
	var mu sync.Mutex
	var sent [][]clcproto.Type
	f := startFake(t, func(t *testing.T, c net.Conn) {
		chal, _ := clcproto.NewChallenge(nil)
		_, err := clcproto.AcceptAuth(c, keyFor(wrongKey), chal)
		if err == nil {
			t.Error("impostor authenticated the instance")
		}
		types := drain(c)
		mu.Lock()
		sent = append(sent, types)
		mu.Unlock()
	})
	e := newEnv(t, f.addr())
	e.start(t)
	f.waitAccepts(t, 3)
	e.sl.waitCount(t, 2)
	if !e.running() {
		t.Fatal("agent stopped after meeting an impostor")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, types := range sent {
		for _, ty := range types {
			if ty == clcproto.RegisterRequest {
				t.Fatalf("instance sent %v to an impostor", ty)
			}
		}
	}
	l := e.logs.FilterMessage("controller not reached; retrying").All()
	if len(l) == 0 || l[0].Level.String() != "error" {
		t.Fatalf("impostor not logged as an error: %v", l)
	}
}

func TestHostileControllers(t *testing.T) {
	register := func(c net.Conn) bool {
		chal, _ := clcproto.NewChallenge(nil)
		if _, err := clcproto.AcceptAuth(c, keyFor(testKey), chal); err != nil {
			return false
		}
		_, err := clcproto.AcceptRegister(c, clcproto.RegisterOK)
		return err == nil
	}
	oversized := clcproto.AppendInt32(clcproto.AppendInt32(nil, int32(clcproto.AuthReply)), 0x7fffffff)
	tests := []struct {
		name string
		// act misbehaves on the connection; the fake then waits for the
		// agent to close it.
		act func(c net.Conn)
		// minGap/maxGap bound the time between the first two connections.
		minGap, maxGap time.Duration
		handshake      time.Duration
	}{
		{
			name:      "oversized length in handshake",
			act:       func(c net.Conn) { clcproto.ReadPacket(c); c.Write(oversized) },
			maxGap:    2 * time.Second,
			handshake: 10 * time.Second,
		},
		{
			name: "random garbage",
			act: func(c net.Conn) {
				clcproto.ReadPacket(c)
				b := make([]byte, 4096)
				rand.Read(b)
				c.Write(b)
			},
			maxGap:    2 * time.Second,
			handshake: 10 * time.Second,
		},
		{
			name:      "text instead of packets",
			act:       func(c net.Conn) { clcproto.ReadPacket(c); io.WriteString(c, "HTTP/1.0 400 Bad Request\r\n\r\n") },
			maxGap:    2 * time.Second,
			handshake: 10 * time.Second,
		},
		{
			name: "stalls after answering the challenge",
			act: func(c net.Conn) {
				p, _ := clcproto.ReadPacket(c)
				a, _ := clcproto.ParseAuthInfo(p.Data)
				plain, _ := clcproto.Crypt([]byte(testKey), a.Block)
				clcproto.WritePacket(c, clcproto.Packet{Type: clcproto.AuthReply, Data: clcproto.AuthInfo{Tag: a.Tag, Block: plain}.AppendMarshal(nil)})
			},
			minGap:    400 * time.Millisecond,
			maxGap:    3 * time.Second,
			handshake: 500 * time.Millisecond,
		},
		{
			name:      "stalls before the register reply",
			act:       func(c net.Conn) { chal, _ := clcproto.NewChallenge(nil); clcproto.AcceptAuth(c, keyFor(testKey), chal) },
			minGap:    400 * time.Millisecond,
			maxGap:    3 * time.Second,
			handshake: 500 * time.Millisecond,
		},
		{
			name:      "oversized length after registration",
			act:       func(c net.Conn) { register(c); c.Write(oversized) },
			maxGap:    2 * time.Second,
			handshake: 10 * time.Second,
		},
		{
			name:      "closes mid-packet after registration",
			act:       func(c net.Conn) { register(c); c.Write(oversized[:5]); c.(*net.TCPConn).CloseWrite() },
			maxGap:    2 * time.Second,
			handshake: 10 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, func(t *testing.T, c net.Conn) {
				tt.act(c)
				drain(c) // hold the connection until the agent drops it
			})
			e := newEnv(t, f.addr())
			e.cfg.HandshakeTimeout = tt.handshake
			e.start(t)
			acc := f.waitAccepts(t, 2)
			gap := acc[1].Sub(acc[0])
			if gap < tt.minGap || gap > tt.maxGap {
				t.Errorf("reconnected after %v, want between %v and %v", gap, tt.minGap, tt.maxGap)
			}
			if !e.running() {
				t.Fatal("agent stopped")
			}
		})
	}
}

func TestUnknownAndEmptyPackets(t *testing.T) {
	type result struct {
		echo  []byte
		query string
		ok    bool
	}
	res := make(chan result, 1)
	f := startFake(t, func(t *testing.T, c net.Conn) {
		chal, _ := clcproto.NewChallenge(nil)
		if _, err := clcproto.AcceptAuth(c, keyFor(testKey), chal); err != nil {
			return
		}
		if _, err := clcproto.AcceptRegister(c, clcproto.RegisterOK); err != nil {
			return
		}
		// The first report (2000) comes first, so that the query below is
		// answered with "serving".
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if p, err := clcproto.ReadPacket(c); err != nil || p.Type != clcproto.Report {
			t.Errorf("first packet after registration = %v, %v; want a report", p.Type, err)
			return
		}
		for _, p := range []clcproto.Packet{
			{Type: 12345, Data: []byte("from the future")},
			{Type: 40099, Data: nil},
			{Type: clcproto.EchoReply, Data: []byte("unasked")},
			{Type: clcproto.EchoRequest, Data: nil},
			{Type: clcproto.QueryRequest, Data: clcproto.AppendInt32(nil, 9)},
		} {
			clcproto.WritePacket(c, p)
		}
		var r result
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for r.echo == nil || r.query == "" {
			p, err := clcproto.ReadPacket(c)
			if err != nil {
				break
			}
			switch p.Type {
			case clcproto.EchoReply:
				r.echo = p.Data
			case clcproto.QueryReply:
				r.query = string(p.Data)
			}
		}
		r.ok = r.echo != nil && r.query != ""
		select {
		case res <- r:
		default:
		}
		drain(c)
	})
	e := newEnv(t, f.addr())
	e.start(t)
	var r result
	select {
	case r = <-res:
	case <-time.After(eventWait):
		t.Fatal("no answers")
	}
	if !r.ok || !bytes.Equal(r.echo, []byte{}) {
		t.Errorf("echo reply to an empty request = %q (ok=%v), want empty", r.echo, r.ok)
	}
	if r.query != "9 42 5 127.0.0.1" {
		t.Errorf("query reply = %q, want \"9 42 5 127.0.0.1\"", r.query)
	}
	if n := len(f.waitAccepts(t, 1)); n != 1 {
		t.Errorf("%d connections: unknown packets broke the session", n)
	}
	if countLogs(e.logs, "skipped packet") < 2 {
		t.Error("unknown packets not logged")
	}
}
