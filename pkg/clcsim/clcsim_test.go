package clcsim

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/logtest"
	"github.com/luoyun/osmanager/pkg/clcproto"
	"github.com/luoyun/osmanager/pkg/logging"
)

const key = "7c9e6679-7425-40de-944b-e07fc1f90ae7"

func TestEventLines(t *testing.T) {
	from := "127.0.0.1:5555"
	tests := []struct {
		e    Event
		want string
	}{
		{Event{Kind: Listening, Addr: "127.0.0.1:41234"}, "listening addr=127.0.0.1:41234"},
		{Event{Kind: AuthOK, Tag: 42, From: from}, "auth ok tag=42 from=127.0.0.1:5555"},
		{Event{Kind: AuthFailed, Tag: 42, From: from, Reason: "wrong-key"}, "auth failed tag=42 from=127.0.0.1:5555 reason=wrong-key"},
		{Event{Kind: Registered, Tag: 42, IP: "10.0.2.15", From: from}, "registered tag=42 ip=10.0.2.15 from=127.0.0.1:5555"},
		{Event{Kind: RegisterRefused, Tag: 42, IP: "10.0.2.15", From: from}, "register refused tag=42 ip=10.0.2.15 from=127.0.0.1:5555"},
		{Event{Kind: ReportEvent, Tag: 42, Status: 2000}, "report tag=42 status=2000"},
		{Event{Kind: QueryEvent, Tag: 42, Job: 7, Reply: "7 42 5 10.0.2.15"}, `query tag=42 job=7 reply="7 42 5 10.0.2.15"`},
		{Event{Kind: EchoEvent, Tag: 42, OK: true}, "echo tag=42 ok"},
		{Event{Kind: EchoEvent, Tag: 42}, "echo tag=42 mismatch"},
		{Event{Kind: Disconnected, Tag: 42, From: from}, "disconnected tag=42 from=127.0.0.1:5555"},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func start(t testing.TB, cfg Config, log *logging.Logger) (*Server, chan Event) {
	ch := make(chan Event, 100)
	cfg.Events = func(e Event) {
		select {
		case ch <- e:
		default:
		}
	}
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, ch
}

func next(t *testing.T, ch chan Event, kind string) Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-ch:
			if e.Kind == kind {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event", kind)
		}
	}
}

func TestAuthFailures(t *testing.T) {
	tests := []struct {
		name       string
		simTag     int32
		clientKey  string
		clientTag  int32
		wantReason string
	}{
		{"wrong key", 0, "00000000-1111-2222-3333-444444444444", 42, "closed"},
		{"unknown tag", 7, key, 42, "unknown-tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ch := start(t, Config{Key: []byte(key), Tag: tt.simTag}, logtest.New(t))
			c, err := net.Dial("tcp", s.LocalAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			chal, _ := clcproto.NewChallenge(nil)
			if err := clcproto.Authenticate(c, []byte(tt.clientKey), tt.clientTag, chal); err == nil {
				t.Error("Authenticate succeeded")
			}
			c.Close()
			e := next(t, ch, AuthFailed)
			if e.Reason != tt.wantReason || e.Tag != tt.clientTag {
				t.Errorf("event %q, want reason=%s", e, tt.wantReason)
			}
		})
	}
}

// A client that knows the controller's answer but answers the
// controller's challenge wrongly is refused with reason wrong-key.
func TestWrongAnswer(t *testing.T) {
	s, ch := start(t, Config{Key: []byte(key)}, logtest.New(t))
	c, err := net.Dial("tcp", s.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	chal, _ := clcproto.NewChallenge(nil)
	enc, _ := clcproto.Crypt([]byte(key), chal)
	clcproto.WritePacket(c, clcproto.Packet{Type: clcproto.AuthRequest, Data: clcproto.AuthInfo{Tag: 5, Block: enc}.AppendMarshal(nil)})
	clcproto.ReadPacket(c)
	clcproto.ReadPacket(c)
	clcproto.WritePacket(c, clcproto.Packet{Type: clcproto.AuthReply, Data: clcproto.AuthInfo{Tag: 5}.AppendMarshal(nil)})
	if e := next(t, ch, AuthFailed); e.Reason != "wrong-key" || e.Tag != 5 {
		t.Errorf("event %q, want reason=wrong-key", e)
	}
}

func TestJoinDatagrams(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	// Unicast to our socket stands in for the group here; the multicast
	// path is tested in a network namespace by internal/cmd/osmcmd.
	start(t, Config{Key: []byte(key), MCast: pc.LocalAddr().String(), Advertise: "10.1.2.3:1369", JoinEvery: 50 * time.Millisecond}, logtest.New(t))
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	for i := 0; i < 2; i++ {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(buf[:n]), "\x65\x00\x00\x00\x12\x00\x00\x00join 10.1.2.3 1369"; got != want {
			t.Errorf("datagram %q, want %q", got, want)
		}
	}
}

func TestNewRejectsBadKey(t *testing.T) {
	if _, err := New(Config{Key: []byte("abc")}, logtest.New(t)); err == nil {
		t.Error("New accepted a 3-byte KEY")
	}
}

// BenchmarkHandshakeRegister measures one instance connection over
// loopback: TCP connect, mutual RC4 challenge, registration.
func BenchmarkHandshakeRegister(b *testing.B) {
	s, _ := start(b, Config{Key: []byte(key)}, logging.Nop())
	addr := s.LocalAddr().String()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		chal, _ := clcproto.NewChallenge(nil)
		if err := clcproto.Authenticate(c, []byte(key), 42, chal); err != nil {
			b.Fatal(err)
		}
		if r, err := clcproto.RegisterWith(c, clcproto.Register{Tag: 42, Status: 7, IP: "127.0.0.1"}); err != nil || r != clcproto.RegisterOK {
			b.Fatal(r, err)
		}
		c.Close()
	}
}

// TestFlap: in a flap mode the simulator registers the instance, then
// drops the connection or sends bytes that are not a packet.
func TestFlap(t *testing.T) {
	for _, mode := range []string{FlapDrop, FlapGarbage} {
		t.Run(mode, func(t *testing.T) {
			s, ch := start(t, Config{Key: []byte(key), Flap: mode}, logtest.New(t))
			c, err := net.Dial("tcp", s.LocalAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			chal, _ := clcproto.NewChallenge(nil)
			if err := clcproto.Authenticate(c, []byte(key), 42, chal); err != nil {
				t.Fatal(err)
			}
			if r, err := clcproto.RegisterWith(c, clcproto.Register{Tag: 42, Status: 7, IP: "127.0.0.1"}); err != nil || r != clcproto.RegisterOK {
				t.Fatalf("register = %d, %v", r, err)
			}
			next(t, ch, Registered)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = clcproto.ReadPacket(c)
			if err == nil {
				t.Fatal("read a packet from a flapping controller")
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the controller neither dropped nor sent garbage: %v", err)
			}
			next(t, ch, Disconnected)
		})
	}
	if _, err := New(Config{Key: []byte(key), Flap: "sometimes"}, logtest.New(t)); err == nil {
		t.Error("New accepted an unknown flap mode")
	}
}
