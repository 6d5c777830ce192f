package osm

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/luoyun/osmanager/pkg/clcsim"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/settings"
)

// BenchmarkBootToRegistered measures an agent from Run to the controller's
// "registered" event over loopback (luoyun.conf read, TCP connect, mutual
// challenge, registration), the target being under 0.5 s.
func BenchmarkBootToRegistered(b *testing.B) {
	reg := make(chan struct{}, 1)
	srv, err := clcsim.New(clcsim.Config{Key: []byte(testKey), Events: func(e clcsim.Event) {
		if e.Kind == clcsim.Registered {
			reg <- struct{}{}
		}
	}}, logging.Nop())
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	sctx, scancel := context.WithCancel(context.Background())
	defer scancel()
	go srv.Serve(sctx)
	dir := b.TempDir()
	conf := filepath.Join(dir, "luoyun.conf")
	os.WriteFile(conf, []byte("CLC_IP=127.0.0.1\nCLC_PORT="+portOf(srv.LocalAddr().String())+"\nTAG=42\nKEY="+testKey+"\n"), 0o600)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o := settings.Defaults().OSM
		a, err := New(Config{ConfPath: conf, ScriptDir: dir, StatusInterval: time.Hour, StatusTimeout: o.StatusTimeout.D(),
			ReconnectMin: o.ReconnectMin.D(), ReconnectMax: o.ReconnectMax.D(), DiscoveryWindow: o.DiscoveryWindow.D()}, logging.Nop())
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- a.Run(ctx) }()
		<-reg
		b.StopTimer()
		cancel()
		<-done
		b.StartTimer()
	}
}

func portOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[i+1:]
		}
	}
	return ""
}
