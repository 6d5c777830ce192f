package webpage

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/luoyun/osmanager/pkg/logging"
)

// benchServer serves the shipped withcookie page with the production
// check interval and an access log encoded as in production (to discard).
func benchServer(b *testing.B) (*Server, string) {
	f := newFixture(b)
	page, err := os.ReadFile(filepath.Join("..", "..", "custom", "www", "withcookie", "index.html"))
	if err != nil {
		b.Fatal(err)
	}
	writeFile(b, filepath.Join(f.root, WithCookie, "index.html"), string(page))
	cfg := f.config(nil)
	cfg.CheckEvery = Defaults().CheckEvery
	log := logging.FromCore(zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel))
	return start(b, cfg, log)
}

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// BenchmarkIndexHandler is the handler alone: routing, cookie check,
// cache lookup, rendered page, access log line.
func BenchmarkIndexHandler(b *testing.B) {
	s, _ := benchServer(b)
	r := httptest.NewRequest("GET", "/?cookie="+testCookie, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			s.ServeHTTP(w, r)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkIndexHTTP is requests/s for the templated index page over
// loopback TCP, keep-alive connections written to and read from directly
// (client and server share the process and its 2 cores, so it understates
// what a separate client like wrk measures; see bench/web.sh).
func BenchmarkIndexHTTP(b *testing.B) {
	_, addr := benchServer(b)
	req := []byte("GET /?cookie=" + testCookie + " HTTP/1.1\r\nHost: bench\r\n\r\n")
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		br := bufio.NewReaderSize(c, 16<<10)
		for pb.Next() {
			if _, err := c.Write(req); err != nil {
				b.Error(err)
				return
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkStatusFetch is what the shipped status script costs web every
// interval: a new connection, GET / without a cookie, the answer read,
// the connection closed (as curl does). -benchmem gives the garbage each
// leaves in web (and in this process's client side, which is small).
func BenchmarkStatusFetch(b *testing.B) {
	_, addr := benchServer(b)
	req := []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: luoyun-status\r\nAccept: */*\r\n\r\n")
	buf := make([]byte, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Read(buf); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
