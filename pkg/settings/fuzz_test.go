package settings

import (
	"os"
	"testing"
)

// FuzzDecode feeds arbitrary text to the settings reader: it must never
// panic, and whatever the file holds, the settings it returns pass every
// check (the default stands in for each wrong value).
func FuzzDecode(f *testing.F) {
	if b, err := os.ReadFile("../../custom/osmanager.toml"); err == nil {
		f.Add(string(b))
	}
	f.Add("[osm]\nreconnect_min = \"2m\"\n[webssh]\nmax_sesions = 3\n")
	f.Fuzz(func(t *testing.T, text string) {
		s, probs, err := Decode("f.toml", text)
		if err != nil && probs != nil {
			t.Fatal("both an error and problems")
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Decode(%q) returned settings that fail their checks: %v", text, err)
		}
		for _, p := range probs {
			if p.Error() == "" {
				t.Fatal("empty problem")
			}
		}
	})
}
