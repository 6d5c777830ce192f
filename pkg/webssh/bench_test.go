package webssh

import (
	"sort"
	"testing"
	"time"
)

// BenchmarkEchoRoundTrip times one keystroke from a websocket client to
// its echo by the terminal (cat on the PTY) and back: the server's share
// of the browser's echo latency.
func BenchmarkEchoRoundTrip(b *testing.B) {
	s := startServer(b, Config{Command: []string{"/bin/cat"}})
	c := mustDial(b, s)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		c.input("x")
		want := c.read + 1
		for c.read < want {
			if !c.next(time.Now().Add(5 * time.Second)) {
				b.Fatalf("no echo: %v", c.closed)
			}
		}
		lat = append(lat, time.Since(start))
		if i%64 == 63 {
			c.input("\n") // keep cat's line short
			c.waitFor("\r\n", 5*time.Second)
			c.out.Reset()
			c.read = 0
			c.waitIdle()
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// waitIdle drains output until nothing arrives for 50ms.
func (c *client) waitIdle() {
	for c.next(time.Now().Add(50 * time.Millisecond)) {
	}
	c.read = 0
	c.out.Reset()
}

// BenchmarkThroughput streams output through one session to a client
// that acknowledges as it reads; bytes/s is the server's throughput.
func BenchmarkThroughput(b *testing.B) {
	const size = 64 << 20
	s := startServer(b, Config{Command: []string{"/bin/sh"}})
	c := mustDial(b, s)
	c.input("stty raw -echo\n")
	c.waitIdle()
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.read = 0
		c.input("head -c 67108864 /dev/zero\n")
		for c.read < size {
			if !c.next(time.Now().Add(10 * time.Second)) {
				b.Fatalf("after %d bytes: %v", c.read, c.closed)
			}
			c.out.Reset()
		}
	}
}
