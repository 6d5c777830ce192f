package termproto

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFrameRoundTrip(t *testing.T) {
	var b []byte
	b = AppendFrame(b, FrameSession, []byte("ab12"))
	b = AppendFrame(b, FrameOutput, []byte("你好"))
	b = AppendFrame(b, FrameKeepAlive, nil)
	b = AppendFrame(b, FrameNotice, Notice{Kind: NoticeExit}.Marshal())
	if want := "73000000046162313" + "26f00000006e4bda0e5a5bd6b000000006e0000000f7b226b696e64223a2265786974227d"; hex.EncodeToString(b) != want {
		t.Fatalf("frames = %x, want %s", b, want)
	}
	r := bytes.NewReader(b)
	want := []struct {
		kind    byte
		payload string
	}{{FrameSession, "ab12"}, {FrameOutput, "你好"}, {FrameKeepAlive, ""}, {FrameNotice, `{"kind":"exit"}`}}
	for _, w := range want {
		kind, p, err := ReadFrame(r)
		if err != nil || kind != w.kind || string(p) != w.payload {
			t.Fatalf("ReadFrame = %c %q %v, want %c %q", kind, p, err, w.kind, w.payload)
		}
	}
	if _, _, err := ReadFrame(r); err != io.EOF {
		t.Fatalf("ReadFrame at the end = %v, want io.EOF", err)
	}
}

func TestReadFrameErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"cut header", []byte{'o', 0, 0}, io.ErrUnexpectedEOF},
		{"cut payload", []byte{'o', 0, 0, 0, 3, 'a'}, io.ErrUnexpectedEOF},
		{"no payload", []byte{'o', 0, 0, 0, 3}, io.ErrUnexpectedEOF},
		{"kind", []byte{'x', 0, 0, 0, 0}, ErrFrameKind},
		{"huge", []byte{'o', 0xff, 0xff, 0xff, 0xff}, ErrLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadFrame(bytes.NewReader(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("ReadFrame(%x) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestBatch(t *testing.T) {
	b := AppendBatch(nil, Input([]byte("ls\r")), Resize(80, 24), Ack(7))
	if want := "0004696c730d000572005000180005610000000" + "7"; hex.EncodeToString(b) != want {
		t.Fatalf("AppendBatch = %x, want %s", b, want)
	}
	msgs, err := SplitBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, hex.EncodeToString(m))
	}
	if d := cmp.Diff([]string{"696c730d", "7200500018", "6100000007"}, got); d != "" {
		t.Fatalf("SplitBatch mismatch (-want +got):\n%s", d)
	}
	if msgs, err := SplitBatch(nil); err != nil || len(msgs) != 0 {
		t.Fatalf("SplitBatch(empty) = %q, %v", msgs, err)
	}
}

func TestSplitBatchErrors(t *testing.T) {
	good := AppendBatch(nil, Input([]byte("x")))
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"stray byte", append(good[:len(good):len(good)], 0), ErrBatch},
		{"length beyond the body", []byte{0, 9, 'i', 'x'}, ErrBatch},
		{"bad message", append(good[:len(good):len(good)], 0, 2, 'r', 0), ErrShort},
		{"empty message", []byte{0, 0}, ErrShort},
		{"too big", make([]byte, MaxBatch+1), ErrLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, err := SplitBatch(tt.in)
			if !errors.Is(err, tt.want) || msgs != nil {
				t.Fatalf("SplitBatch = %q, %v, want nil, %v", msgs, err, tt.want)
			}
		})
	}
}

func FuzzSplitBatch(f *testing.F) {
	f.Add(AppendBatch(nil, Input([]byte("ls\r")), Resize(80, 24), Ack(7)))
	f.Add([]byte{0, 9, 'i'})
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := SplitBatch(b)
		if err != nil {
			return
		}
		var ms []Message
		for _, m := range msgs {
			p, err := Parse(m)
			if err != nil {
				t.Fatalf("SplitBatch returned %x, which Parse refuses: %v", m, err)
			}
			ms = append(ms, p)
		}
		if out := AppendBatch(nil, ms...); !bytes.Equal(out, b) {
			t.Fatalf("round trip %x -> %x", b, out)
		}
	})
}

func FuzzReadFrame(f *testing.F) {
	f.Add(AppendFrame(AppendFrame(nil, FrameSession, []byte("id")), FrameOutput, []byte("out")))
	f.Add([]byte{'o', 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		var out []byte
		for {
			kind, p, err := ReadFrame(r)
			if err != nil {
				if err == io.EOF && !bytes.Equal(out, b) {
					t.Fatalf("frames re-marshal to %x, input %x", out, b)
				}
				return
			}
			out = AppendFrame(out, kind, p)
		}
	})
}
