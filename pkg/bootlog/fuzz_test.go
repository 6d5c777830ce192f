package bootlog

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func FuzzParseBoot(f *testing.F) {
	f.Add([]byte("boot 1795458214025 started /LuoYun\nfloppy 1795458214030 ok updated\nboot 1795458214099 ok\n"))
	f.Add([]byte("osc 1 failed a\x1b[31mred\r\nweb 2 ok\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBoot(data)
		if err != nil {
			return
		}
		for _, s := range b.Steps {
			if !utf8.ValidString(s.Message) || len(s.Message) > MaxMessage+3 {
				t.Errorf("message %q", s.Message)
			}
		}
		if _, err := json.Marshal(b); err != nil {
			t.Errorf("marshal: %v", err)
		}
	})
}
