package webpage

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
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
	log := zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zap.InfoLevel))
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
// loopback TCP with keep-alive connections, client and server in one
// process (so it understates what a separate client like wrk measures).
func BenchmarkIndexHTTP(b *testing.B) {
	_, addr := benchServer(b)
	url := "http://" + addr + "/?cookie=" + testCookie
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DialContext: (&net.Dialer{}).DialContext}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
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
