package lyconf

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to the luoyun.conf parser: it must never
// panic, and no problem it reports may quote 8 bytes of the KEY.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sampleINI))
	f.Add([]byte(strings.ReplaceAll(sampleINI, "\n", "\r\n")))
	f.Add([]byte("KEY=0123456789\x00abcdef\nTAG=1\x1b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(bytes.NewReader(data))
		if err != nil {
			if c != nil {
				t.Fatalf("Parse returned both a value and an error")
			}
			return
		}
		if c.Extra == nil {
			t.Fatal("Extra is nil")
		}
		key := c.Key.Reveal()
		// No value taken holds a C0 control character but TAB.
		values := []string{c.CLCIP, c.MCastIP, key, c.JSON}
		for _, v := range c.Extra {
			values = append(values, v)
		}
		for _, v := range values {
			if strings.IndexFunc(v, func(r rune) bool { return r < 0x20 && r != '\t' }) >= 0 {
				t.Fatalf("value %q with a control character taken", v)
			}
		}
		for _, p := range c.Problems {
			if p.Line < 1 {
				t.Fatalf("problem without a line: %v", p)
			}
			if len(key) >= 8 {
				if leak := leaks(p.Error(), key); leak != "" {
					t.Fatalf("problem %q quotes %q of the KEY", p, leak)
				}
			}
		}
	})
}

// FuzzDecodeInstance feeds arbitrary bytes to the JSON decoder.
func FuzzDecodeInstance(f *testing.F) {
	f.Add([]byte(`{"cookie":"x","network":[{"ip":"1.2.3.4"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := DecodeInstance(data)
		if err == nil && in == nil {
			t.Fatal("nil Instance without error")
		}
		if err == nil {
			_ = in.NameserverList()
			_ = in.WebSSH.Disabled()
		}
	})
}
