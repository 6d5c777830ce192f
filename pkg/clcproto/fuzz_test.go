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
