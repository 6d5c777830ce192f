package termproto

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMarshalParse(t *testing.T) {
	tests := []struct {
		name string
		msg  Message
		hex  string
	}{
		{"input", Input([]byte("ls\r")), "696c730d"},
		{"input utf8", Input([]byte("你好")), "69e4bda0e5a5bd"},
		{"input empty", Input(nil), "69"},
		{"resize", Resize(80, 24), "7200500018"},
		{"resize max", Resize(1000, 1000), "7203e803e8"},
		{"ack", Ack(0x01020304), "6101020304"},
		{"ack wrap", Ack(0xffffffff), "61ffffffff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.msg.AppendMarshal(nil)
			if got := hex.EncodeToString(b); got != tt.hex {
				t.Fatalf("AppendMarshal = %s, want %s", got, tt.hex)
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse(%s): %v", tt.hex, err)
			}
			if got.Data == nil && tt.msg.Data != nil {
				got.Data = []byte{}
			}
			if tt.msg.Data == nil && len(got.Data) == 0 {
				got.Data = nil
			}
			if d := cmp.Diff(tt.msg, got); d != "" {
				t.Fatalf("Parse(%s) mismatch (-want +got):\n%s", tt.hex, d)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"unknown type", []byte("x123"), ErrType},
		{"resize short", []byte{'r', 0, 80, 0}, ErrShort},
		{"resize long", []byte{'r', 0, 80, 0, 24, 0}, ErrShort},
		{"resize zero", []byte{'r', 0, 0, 0, 24}, ErrBadSize},
		{"resize zero rows", []byte{'r', 0, 80, 0, 0}, ErrBadSize},
		{"ack short", []byte{'a', 1}, ErrShort},
		{"too long", append([]byte{'i'}, bytes.Repeat([]byte("x"), MaxInput+1)...), ErrLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse(%q) = %+v, %v, want %v", tt.in, m, err, tt.want)
			}
		})
	}
}

// TestResizeClamped: a 15360x8640 CSS px screen (4K at 25 % zoom) asks for
// about 2000x500 cells; the size is clamped, not refused.
func TestResizeClamped(t *testing.T) {
	tests := []struct {
		in         []byte
		cols, rows uint16
	}{
		{[]byte{'r', 0x07, 0xa8, 0x01, 0xfc}, MaxDimension, 508}, // 1960x508
		{[]byte{'r', 0xff, 0xff, 0xff, 0xff}, MaxDimension, MaxDimension},
		{[]byte{'r', 0, 80, 0x03, 0xe9}, 80, MaxDimension},
		{[]byte{'r', 0x03, 0xe8, 0x03, 0xe8}, MaxDimension, MaxDimension},
	}
	for _, tt := range tests {
		m, err := Parse(tt.in)
		if err != nil || m.Cols != tt.cols || m.Rows != tt.rows {
			t.Errorf("Parse(%x) = %dx%d, %v, want %dx%d", tt.in, m.Cols, m.Rows, err, tt.cols, tt.rows)
		}
	}
}

func TestNotice(t *testing.T) {
	n := Notice{Kind: NoticeBusy, Text: "too many sessions"}
	b := n.Marshal()
	if want := `{"kind":"busy","text":"too many sessions"}`; string(b) != want {
		t.Fatalf("Marshal = %s, want %s", b, want)
	}
	got, err := ParseNotice(b)
	if err != nil || got != n {
		t.Fatalf("ParseNotice = %+v, %v, want %+v", got, err, n)
	}
	for _, bad := range []string{"", "{}", "[1]", `{"kind":3}`} {
		if _, err := ParseNotice([]byte(bad)); err == nil {
			t.Errorf("ParseNotice(%q) succeeded, want error", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range [][]byte{[]byte("ihello"), {'r', 0, 80, 0, 24}, {'a', 0, 0, 1, 0}, {}, []byte("z")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		if m.Type == TypeResize && (m.Cols < 1 || m.Rows < 1 || m.Cols > MaxDimension || m.Rows > MaxDimension) {
			t.Fatalf("Parse(%x) = size %dx%d, want 1..%d", b, m.Cols, m.Rows, MaxDimension)
		}
		out := m.AppendMarshal(nil)
		if m.Type != TypeResize && !bytes.Equal(out, b) {
			t.Fatalf("round trip %x -> %+v -> %x", b, m, out)
		}
		if again, err := Parse(out); err != nil || again.Type != m.Type || again.Cols != m.Cols || again.Rows != m.Rows || again.Acked != m.Acked {
			t.Fatalf("re-parse of %x = %+v, %v, want %+v", out, again, err, m)
		}
	})
}

func FuzzParseNotice(f *testing.F) {
	f.Add([]byte(`{"kind":"exit","text":"bye"}`))
	f.Add([]byte(`{"kind":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseNotice(b)
		if err == nil && n.Kind == "" {
			t.Fatalf("ParseNotice(%q) accepted an empty kind", b)
		}
	})
}
