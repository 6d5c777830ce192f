package clcproto

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// vectors reads testdata/vectors.txt, made by testdata/gen_vectors.py.
func vectors(t testing.TB) map[string][]byte {
	t.Helper()
	f, err := os.Open("testdata/vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string][]byte{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hx, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("bad vector line %q", line)
		}
		b, err := hex.DecodeString(hx)
		if err != nil {
			t.Fatalf("vector %s: %v", name, err)
		}
		m[name] = b
	}
	return m
}

const (
	testTag = 42
	osmChal = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
	clcChal = "6fa459ea-ee8a-3ca4-894e-db77e160355e"
	testIP  = "10.0.2.15"
)

func mustMarshal(t *testing.T, p Packet) []byte {
	t.Helper()
	b, err := AppendMarshal(nil, p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoldenPackets(t *testing.T) {
	v := vectors(t)
	tests := []struct {
		name string
		p    Packet
	}{
		{"join", Packet{JoinRequest, Join{IP: "127.0.0.1", Port: 1369}.AppendMarshal(nil)}},
		{"echo_request", Packet{EchoRequest, []byte("ping 1")}},
		{"echo_reply", Packet{EchoReply, []byte("ping 1")}},
		{"echo_request_empty", Packet{EchoRequest, []byte{}}},
		{"query_request", Packet{QueryRequest, AppendInt32(nil, 7)}},
		{"query_reply", Packet{QueryReply, QueryAnswer{Job: 7, Tag: 42, Status: QueryServing, IP: testIP}.AppendMarshal(nil)}},
		{"register_request", Packet{RegisterRequest, Register{Tag: 42, Status: OSMUnregistered, IP: testIP}.AppendMarshal(nil)}},
		{"register_reply_ok", Packet{RegisterReply, AppendInt32(nil, RegisterOK)}},
		{"register_reply_failed", Packet{RegisterReply, AppendInt32(nil, RegisterFailed)}},
		{"report_2000", Packet{Report, AppendInt32(nil, AppRunning)}},
		{"report_2003", Packet{Report, AppendInt32(nil, 2003)}},
		{"report_2128", Packet{Report, AppendInt32(nil, AppUnknown)}},
		{"auth_request_plain", Packet{AuthRequest, AuthInfo{Tag: testTag, Block: BlockString(clcChal)}.AppendMarshal(nil)}},
		{"auth_reply_plain", Packet{AuthReply, AuthInfo{Tag: testTag, Block: BlockString(osmChal)}.AppendMarshal(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, ok := v[tt.name]
			if !ok {
				t.Fatalf("no vector %q", tt.name)
			}
			got := mustMarshal(t, tt.p)
			if !bytes.Equal(got, want) {
				t.Errorf("AppendMarshal = %x, want %x", got, want)
			}
			back, err := Parse(want)
			if err != nil {
				t.Fatalf("Parse(%x): %v", want, err)
			}
			if back.Type != tt.p.Type || !bytes.Equal(back.Data, tt.p.Data) {
				t.Errorf("Parse = %v %q, want %v %q", back.Type, back.Data, tt.p.Type, tt.p.Data)
			}
			rp, err := ReadPacket(bytes.NewReader(want))
			if err != nil || rp.Type != tt.p.Type || !bytes.Equal(rp.Data, tt.p.Data) {
				t.Errorf("ReadPacket = %v %q %v", rp.Type, rp.Data, err)
			}
		})
	}
}

func TestGoldenPayloadsParse(t *testing.T) {
	v := vectors(t)
	p, _ := Parse(v["join"])
	if j, err := ParseJoin(p.Data); err != nil || j != (Join{"127.0.0.1", 1369}) || j.Addr() != "127.0.0.1:1369" {
		t.Errorf("ParseJoin = %+v, %v", j, err)
	}
	p, _ = Parse(v["register_request"])
	if r, err := ParseRegister(p.Data); err != nil || r != (Register{42, 7, testIP}) {
		t.Errorf("ParseRegister = %+v, %v", r, err)
	}
	p, _ = Parse(v["query_reply"])
	if q, err := ParseQueryAnswer(p.Data); err != nil || q != (QueryAnswer{7, 42, 5, testIP}) {
		t.Errorf("ParseQueryAnswer = %+v, %v", q, err)
	}
	p, _ = Parse(v["auth_request_plain"])
	if a, err := ParseAuthInfo(p.Data); err != nil || a.Tag != 42 || string(a.Block.CString()) != clcChal {
		t.Errorf("ParseAuthInfo = %+v, %v", a, err)
	}
	p, _ = Parse(v["register_reply_failed"])
	if n, err := ParseInt32(p.Data); err != nil || n != RegisterFailed {
		t.Errorf("ParseInt32 = %d, %v", n, err)
	}
}

func TestGoldenRC4(t *testing.T) {
	v := vectors(t)
	tests := []struct{ key, plain, want string }{
		{"key", osmChal, "rc4_osm_challenge"},
		{"key", clcChal, "rc4_clc_challenge"},
		{"key16", osmChal, "rc4_key16_osm_challenge"},
	}
	for _, tt := range tests {
		got, err := Crypt(v[tt.key], BlockString(tt.plain))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[:], v[tt.want]) {
			t.Errorf("Crypt(%s, %s) = %x, want %x", tt.key, tt.plain, got, v[tt.want])
		}
		back, _ := Crypt(v[tt.key], got)
		if back != BlockString(tt.plain) {
			t.Errorf("Crypt twice = %q, want the plaintext", back.CString())
		}
	}
}

// recorder records what one side writes.
type recorder struct {
	net.Conn
	mu  sync.Mutex
	out bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.mu.Lock()
	r.out.Write(b)
	r.mu.Unlock()
	return r.Conn.Write(b)
}

// TestGoldenHandshake runs both sides of the handshake with the fixed KEY
// and challenges and compares every byte each side sent with the vectors.
func TestGoldenHandshake(t *testing.T) {
	v := vectors(t)
	key := v["key"]
	a, b := net.Pipe()
	osm, clc := &recorder{Conn: a}, &recorder{Conn: b}
	var srvReg Register
	var srvErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer clc.Close()
		tag, err := AcceptAuth(clc, func(int32) ([]byte, error) { return key, nil }, BlockString(clcChal))
		if err != nil || tag != testTag {
			srvErr = errors.Join(err, errors.New("server auth"))
			return
		}
		srvReg, srvErr = AcceptRegister(clc, RegisterOK)
	}()
	if err := Authenticate(osm, key, testTag, BlockString(osmChal)); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	res, err := RegisterWith(osm, Register{Tag: testTag, Status: OSMUnregistered, IP: testIP})
	if err != nil || res != RegisterOK {
		t.Fatalf("RegisterWith = %d, %v", res, err)
	}
	osm.Close()
	<-done
	if srvErr != nil {
		t.Fatalf("server: %v", srvErr)
	}
	if srvReg != (Register{42, 7, testIP}) {
		t.Errorf("server got register %+v", srvReg)
	}
	if got, want := osm.out.Bytes(), v["handshake_osm_stream"]; !bytes.Equal(got, want) {
		t.Errorf("OSM sent\n%x\nwant\n%x", got, want)
	}
	if got, want := clc.out.Bytes(), v["handshake_clc_stream"]; !bytes.Equal(got, want) {
		t.Errorf("CLC sent\n%x\nwant\n%x", got, want)
	}
}

func TestHandshakeWrongKeys(t *testing.T) {
	good := []byte("7c9e6679-7425-40de-944b-e07fc1f90ae7")
	bad := []byte("00000000-0000-0000-0000-000000000000")
	tests := []struct {
		name            string
		osmKey, clcKey  []byte
		wantOSM, wantCL error
	}{
		{"impostor controller", good, bad, ErrImpostor, io.EOF},
		{"same keys", good, good, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := net.Pipe()
			osm := &recorder{Conn: a}
			errc := make(chan error, 1)
			go func() {
				_, err := AcceptAuth(b, func(int32) ([]byte, error) { return tt.clcKey, nil }, BlockString(clcChal))
				b.Close()
				errc <- err
			}()
			err := Authenticate(osm, tt.osmKey, 42, BlockString(osmChal))
			if !errors.Is(err, tt.wantOSM) {
				t.Errorf("Authenticate = %v, want %v", err, tt.wantOSM)
			}
			if err != nil {
				a.Close()
			}
			serr := <-errc
			if !errors.Is(serr, tt.wantCL) && !(tt.wantCL == io.EOF && errors.Is(serr, io.ErrClosedPipe)) {
				t.Errorf("AcceptAuth = %v, want %v", serr, tt.wantCL)
			}
			if tt.wantOSM != nil && bytes.Contains(osm.out.Bytes(), []byte{0x41, 0x9c, 0, 0}) {
				t.Error("OSM sent a REGISTER_REQUEST to an impostor")
			}
			a.Close()
		})
	}
}

func TestReadPacket(t *testing.T) {
	hdr := func(typ, n int32) []byte {
		return AppendInt32(AppendInt32(nil, typ), n)
	}
	tests := []struct {
		name    string
		in      []byte
		want    Packet
		wantErr error
	}{
		{"zero length", hdr(901, 0), Packet{EchoRequest, []byte{}}, nil},
		{"largest allowed", append(hdr(901, MaxData), make([]byte, MaxData)...), Packet{EchoRequest, make([]byte, MaxData)}, nil},
		{"header plus data reach the limit", hdr(901, Limit-HeaderSize), Packet{}, ErrTooLarge},
		{"huge", hdr(901, 0x7fffffff), Packet{}, ErrTooLarge},
		{"negative", hdr(901, -1), Packet{}, ErrTooLarge},
		{"empty stream", nil, Packet{}, io.EOF},
		{"short header", []byte{1, 2, 3}, Packet{}, io.ErrUnexpectedEOF},
		{"short data", append(hdr(40003, 4), 1, 2), Packet{}, io.ErrUnexpectedEOF},
		{"unknown type", append(hdr(12345, 1), 9), Packet{Type(12345), []byte{9}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadPacket(bytes.NewReader(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadPacket err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && (got.Type != tt.want.Type || !bytes.Equal(got.Data, tt.want.Data)) {
				t.Errorf("ReadPacket = %v len %d, want %v len %d", got.Type, len(got.Data), tt.want.Type, len(tt.want.Data))
			}
			_, perr := Parse(tt.in)
			if tt.wantErr == nil && perr != nil {
				t.Errorf("Parse: %v", perr)
			}
			if tt.wantErr != nil && perr == nil {
				t.Errorf("Parse accepted %x", tt.in)
			}
		})
	}
}

// oneHeader returns a header and then fails the test if read again.
type oneHeader struct {
	t    *testing.T
	b    []byte
	done bool
}

func (o *oneHeader) Read(p []byte) (int, error) {
	if o.done {
		o.t.Error("ReadPacket read data after an oversized length")
		return 0, io.EOF
	}
	n := copy(p, o.b)
	o.b = o.b[n:]
	o.done = len(o.b) == 0
	return n, nil
}

func TestReadPacketOversizedAllocatesNothing(t *testing.T) {
	in := AppendInt32(AppendInt32(nil, 901), 0x7ffffff0)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadPacket(&oneHeader{t: t, b: in})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 8192 {
		t.Errorf("allocated %d bytes for an oversized packet", d)
	}
}

func TestMarshalTooLarge(t *testing.T) {
	if _, err := AppendMarshal(nil, Packet{EchoRequest, make([]byte, MaxData+1)}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("AppendMarshal(too large) err = %v", err)
	}
	if _, err := AppendMarshal(nil, Packet{EchoRequest, make([]byte, MaxData)}); err != nil {
		t.Errorf("AppendMarshal(MaxData) err = %v", err)
	}
}

func TestParsePayloadErrors(t *testing.T) {
	tests := []struct {
		name string
		fn   func([]byte) error
		in   string
		ok   bool
	}{
		{"join ok", func(b []byte) error { _, err := ParseJoin(b); return err }, "join 10.0.0.1 1369", true},
		{"join nul", func(b []byte) error { _, err := ParseJoin(b); return err }, "join 10.0.0.1 1369\x00", true},
		{"join word", func(b []byte) error { _, err := ParseJoin(b); return err }, "leave 10.0.0.1 1369", false},
		{"join v6", func(b []byte) error { _, err := ParseJoin(b); return err }, "join ::1 1369", false},
		{"join port 0", func(b []byte) error { _, err := ParseJoin(b); return err }, "join 10.0.0.1 0", false},
		{"join port big", func(b []byte) error { _, err := ParseJoin(b); return err }, "join 10.0.0.1 70000", false},
		{"join empty", func(b []byte) error { _, err := ParseJoin(b); return err }, "", false},
		{"register short", func(b []byte) error { _, err := ParseRegister(b); return err }, "42 7", false},
		{"register nan", func(b []byte) error { _, err := ParseRegister(b); return err }, "x 7 empty", false},
		{"register nul in ip", func(b []byte) error { _, err := ParseRegister(b); return err }, "0 0 \x00 ", false},
		{"register nul padded", func(b []byte) error { _, err := ParseRegister(b); return err }, "42 7 10.0.2.15\x00\x00", true},
		{"query reply 3", func(b []byte) error { _, err := ParseQueryAnswer(b); return err }, "1 2 3", false},
		{"query reply control", func(b []byte) error { _, err := ParseQueryAnswer(b); return err }, "1 2 3 a\x01b", false},
		{"query reply big", func(b []byte) error { _, err := ParseQueryAnswer(b); return err }, "99999999999 2 3 x", false},
		{"int32 short", func(b []byte) error { _, err := ParseInt32(b); return err }, "abc", false},
		{"int32 long", func(b []byte) error { _, err := ParseInt32(b); return err }, "abcde", false},
		{"auth short", func(b []byte) error { _, err := ParseAuthInfo(b); return err }, strings.Repeat("a", 43), false},
		{"auth long", func(b []byte) error { _, err := ParseAuthInfo(b); return err }, strings.Repeat("a", 45), false},
		{"auth ok", func(b []byte) error { _, err := ParseAuthInfo(b); return err }, strings.Repeat("a", 44), true},
	}
	for _, tt := range tests {
		if err := tt.fn([]byte(tt.in)); (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestCheckKey(t *testing.T) {
	for _, tt := range []struct {
		n  int
		ok bool
	}{{0, false}, {4, false}, {5, true}, {36, true}, {256, true}, {257, false}} {
		err := CheckKey(bytes.Repeat([]byte("k"), tt.n))
		if (err == nil) != tt.ok {
			t.Errorf("CheckKey(%d bytes) = %v, want ok=%v", tt.n, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), "kkkkk") {
			t.Errorf("CheckKey error shows the key: %v", err)
		}
		if _, err := Crypt(bytes.Repeat([]byte("k"), tt.n), Block{}); (err == nil) != tt.ok {
			t.Errorf("Crypt(%d-byte key) err = %v", tt.n, err)
		}
	}
}

func TestChallenge(t *testing.T) {
	c, err := NewChallenge(bytes.NewReader(bytes.Repeat([]byte{0xab}, 16)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(c.CString()), "abababab-abab-4bab-abab-abababababab"; got != want {
		t.Errorf("NewChallenge = %q, want %q", got, want)
	}
	if !bytes.Equal(c[36:], make([]byte, 4)) {
		t.Errorf("padding = %x", c[36:])
	}
	r, _ := NewChallenge(nil)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).Match(r.CString()) {
		t.Errorf("random challenge %q is not a UUID", r.CString())
	}
	if _, err := NewChallenge(bytes.NewReader(nil)); err == nil {
		t.Error("NewChallenge(empty reader) succeeded")
	}
	tests := []struct {
		a, b string
		want bool
	}{
		{"abc-DEF", "ABC-def", true},
		{"abc", "abd", false},
		{"", "", false},
		{"abc", "abc\x00junk", true},
		{"abc", "abcd", false},
	}
	for _, tt := range tests {
		var b Block
		copy(b[:], tt.b)
		if got := BlockString(tt.a).Matches(b); got != tt.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestTypeString(t *testing.T) {
	if got := AuthRequest.String(); got != "OSM_AUTH_REQUEST" {
		t.Errorf("String = %q", got)
	}
	if got := Type(7).String(); got != "TYPE_7" || Type(7).Known() {
		t.Errorf("String(7) = %q", got)
	}
	if QueryStatus(2000) != QueryServing || QueryStatus(2003) != QueryRunning || QueryStatus(0) != QueryRunning {
		t.Error("QueryStatus wrong")
	}
}
