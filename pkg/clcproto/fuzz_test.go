package clcproto

import (
	"bytes"
	"testing"
)

// FuzzReadPacket feeds arbitrary streams to the packet reader and every
// payload parser: none may panic, and what reads back must marshal to the
// same bytes.
func FuzzReadPacket(f *testing.F) {
	for _, v := range vectors(f) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		for i := 0; i < 64; i++ {
			p, err := ReadPacket(r)
			if err != nil {
				break
			}
			if len(p.Data) > MaxData {
				t.Fatalf("read %d bytes of data", len(p.Data))
			}
			b, err := AppendMarshal(nil, p)
			if err != nil {
				t.Fatalf("AppendMarshal of a read packet: %v", err)
			}
			q, err := Parse(b)
			if err != nil || q.Type != p.Type || !bytes.Equal(q.Data, p.Data) {
				t.Fatalf("round trip: %v", err)
			}
			_, _ = ParseJoin(p.Data)
			_, _ = ParseRegister(p.Data)
			_, _ = ParseQueryAnswer(p.Data)
			_, _ = ParseInt32(p.Data)
			if a, err := ParseAuthInfo(p.Data); err == nil {
				if !bytes.Equal(a.AppendMarshal(nil), p.Data) {
					t.Fatal("auth info round trip")
				}
				_ = a.Block.Matches(a.Block)
			}
		}
		_, _ = Parse(in)
	})
}

// FuzzPayloads feeds arbitrary data straight to the payload parsers; what
// parses must marshal back to something that parses the same.
func FuzzPayloads(f *testing.F) {
	for _, s := range []string{"join 10.0.0.1 1369", "42 7 10.0.2.15", "7 42 5 10.0.2.15", "\xd0\x07\x00\x00", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if j, err := ParseJoin(data); err == nil {
			if k, err := ParseJoin(j.AppendMarshal(nil)); err != nil || k != j {
				t.Fatalf("join round trip: %+v %v", k, err)
			}
		}
		if r, err := ParseRegister(data); err == nil {
			if s, err := ParseRegister(r.AppendMarshal(nil)); err != nil || s != r {
				t.Fatalf("register round trip: %+v %v", s, err)
			}
		}
		if q, err := ParseQueryAnswer(data); err == nil {
			if p, err := ParseQueryAnswer(q.AppendMarshal(nil)); err != nil || p != q {
				t.Fatalf("query round trip: %+v %v", p, err)
			}
		}
		if v, err := ParseInt32(data); err == nil && !bytes.Equal(AppendInt32(nil, v), data) {
			t.Fatal("int32 round trip")
		}
	})
}
