package webssh

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/nginxtest"
)

// BenchmarkTransfer moves 10 MiB per operation between a Go client and a
// logged-in session (the upload helper writing and syncing the file;
// `webssh get` handing it over), directly and through nginx holding the
// cloud front end's directives, without a rate cap (transfer_rate_mb 0)
// and with the default 64 MB/s.
//
//	go test -run '^$' -bench Transfer -benchtime 10x ./pkg/webssh
func BenchmarkTransfer(b *testing.B) {
	for _, rate := range []int64{0, 64e6} {
		e := startTransfersRate(b, 100e6, rate)
		p := nginxtest.Start(b, e.s.Addr().String())
		c, id := e.open(b)
		e.login(c, "alice", e.home)
		data := randomBytes(b, 10<<20)
		src := filepath.Join(e.home, "src.bin")
		if err := os.WriteFile(src, data, 0o644); err != nil {
			b.Fatal(err)
		}
		for _, via := range []struct{ name, base string }{{"direct", "http://" + e.s.Addr().String()}, {"nginx", p.URL}} {
			suffix := "/uncapped"
			if rate > 0 {
				suffix = "/64MBps"
			}
			b.Run("upload/"+via.name+suffix, func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for i := 0; b.Loop(); i++ {
					r := upload(b, via.base, id, "up.bin", data, nil)
					if r.status != 200 {
						b.Fatalf("upload: %d %q", r.status, r.body)
					}
					b.StopTimer()
					os.Remove(filepath.Join(e.home, r.res.Name))
					b.StartTimer()
				}
			})
			b.Run("download/"+via.name+suffix, func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					c.out.Reset()
					c.input(e.bin + " get src.bin\n")
					c.waitFor("waiting for the browser", 10*time.Second)
					m := getOSC.FindStringSubmatch(c.out.String())
					if m == nil {
						b.Fatalf("no token in %q", c.out.String())
					}
					resp, got := fetch(b, via.base, id, m[1])
					if resp.StatusCode != 200 || sha256.Sum256(got) != sha256.Sum256(data) {
						b.Fatalf("download: %d, %d bytes", resp.StatusCode, len(got))
					}
					c.waitFor("sent to the browser", 10*time.Second)
				}
			})
		}
	}
}
