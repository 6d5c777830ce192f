package statusrun

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkRun runs a status script that prints a line and exits 0, as
// osm does every interval; -benchmem gives the garbage one run leaves.
func BenchmarkRun(b *testing.B) {
	p := filepath.Join(b.TempDir(), "status")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho running\n"), 0o755); err != nil {
		b.Fatal(err)
	}
	r := &Runner{Path: p, Timeout: 10 * time.Second}
	b.ReportAllocs()
	for b.Loop() {
		if res := r.Run(context.Background()); res.Status != 2000 {
			b.Fatalf("status %d (%v)", res.Status, res.Err)
		}
	}
}
