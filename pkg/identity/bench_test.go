package identity

import "testing"

// BenchmarkNewHostKey is what a first boot spends making each key type.
func BenchmarkNewHostKey(b *testing.B) {
	for _, typ := range KeyTypes {
		b.Run(typ, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := NewHostKey(typ, nil, "root@vm"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
