package procinfo

import "testing"

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("42 (osm) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 12345 1000 100 0\n"))
	f.Add([]byte("7 (a) b) Z"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseStat(b)
	})
}

func FuzzParseNetTCP(f *testing.F) {
	f.Add([]byte("sl local\n 0: 0100007F:1F90 00000000:0000 0A 0 0 0 0 0 4711 1\n"))
	f.Add([]byte("sl local\n 0: 0000000000000000FFFF00000100007F:0051 0:0 0A 0 0 0 0 0 1 1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range ParseNetTCP(b) {
			if s.Addr == "" {
				t.Errorf("empty address from %q", b)
			}
		}
	})
}
