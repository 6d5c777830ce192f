package gzstatic

import (
	"strings"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header []string // field lines; nil: no field
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZip"}, true},
		{[]string{"x-gzip"}, true},
		{[]string{"gzip, deflate, br, zstd"}, true}, // Chromium
		{[]string{"deflate, gzip;q=1.0, *;q=0.5"}, true},
		{[]string{"br"}, false},
		{[]string{"deflate", "gzip"}, true}, // two field lines
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.000"}, false},
		{[]string{"gzip;Q=0."}, false},
		{[]string{"gzip;q=0.001"}, true},
		{[]string{"gzip;q=1"}, true},
		{[]string{"gzip;q=1.000"}, true},
		{[]string{"gzip;q=1.001"}, false}, // not a qvalue
		{[]string{"gzip;q=2"}, false},
		{[]string{"gzip;q=0.0001"}, false},
		{[]string{"gzip;q=.5"}, false},
		{[]string{"gzip;q=abc"}, false},
		{[]string{"gzip;q="}, false},
		{[]string{"gzip;level=9"}, true}, // other parameters do not matter
		{[]string{"gzip ; q=0.5 "}, true},
		{[]string{"*"}, true},
		{[]string{"*;q=0"}, false},
		{[]string{"*;q=0, gzip"}, true},
		{[]string{"gzip;q=0, *"}, false}, // named beats *
		{[]string{"identity"}, false},
		{[]string{"identity;q=0"}, false}, // no other coding offered: identity anyway
		{[]string{"gzip;q=0.5, identity"}, false},
		{[]string{"gzip;q=0.5, identity;q=0.5"}, true},
		{[]string{"gzip, identity;q=0"}, true},
		{[]string{"gzip;q=0, gzip;q=0.3"}, true}, // repeated: the highest
		{[]string{",,gzip,,"}, true},
		{[]string{"gzipx"}, false},
		{[]string{"gzip;q=0.5;q=0"}, true}, // the first q counts
	}
	for _, tt := range tests {
		if got := AcceptsGzip(tt.header); got != tt.want {
			t.Errorf("AcceptsGzip(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestQvalue(t *testing.T) {
	tests := map[string]int{
		"0": 0, "0.": 0, "0.5": 500, "0.25": 250, "0.125": 125, "0.999": 999,
		"1": 1000, "1.": 1000, "1.0": 1000, "1.000": 1000,
		"1.5": 0, "0.1234": 0, "": 0, "-0": 0, "+1": 0, "0,5": 0, "1e0": 0, "01": 0,
	}
	for in, want := range tests {
		if got := qvalue(in); got != want {
			t.Errorf("qvalue(%q) = %d, want %d", in, got, want)
		}
	}
}

// FuzzAcceptsGzip checks that no header makes AcceptsGzip panic, and
// that its answer follows the rules it documents for the gzip entry
// where the header names nothing else.
func FuzzAcceptsGzip(f *testing.F) {
	for _, s := range []string{"gzip", "gzip;q=0", "deflate, gzip;q=0.5, *;q=0", "identity;q=1, gzip;q=1.000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AcceptsGzip([]string{s})
		if !strings.ContainsAny(s, ",") {
			coding, params, _ := strings.Cut(s, ";")
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip", "*":
				if want := weight(params) > 0; got != want {
					t.Errorf("AcceptsGzip(%q) = %v, want %v", s, got, want)
				}
			case "identity", "":
				if got {
					t.Errorf("AcceptsGzip(%q) = true, no gzip named", s)
				}
			}
		}
		if q := weight(";q=" + s); q < 0 || q > 1000 {
			t.Errorf("weight(q=%q) = %d, outside 0..1000", s, q)
		}
	})
}
