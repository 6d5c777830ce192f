package osm

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"
)

func TestDialKeepalive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a := &Agent{cfg: Config{DialTimeout: time.Second}}
	c, err := a.dial(context.Background(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	raw.Control(func(fd uintptr) {
		get := func(name string, level, opt int) {
			v, err := syscall.GetsockoptInt(int(fd), level, opt)
			if err != nil {
				t.Errorf("getsockopt %s: %v", name, err)
			}
			got[name] = v
		}
		get("SO_KEEPALIVE", syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
		get("TCP_KEEPIDLE", syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)
		get("TCP_KEEPINTVL", syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL)
		get("TCP_KEEPCNT", syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT)
	})
	want := map[string]int{"SO_KEEPALIVE": 1, "TCP_KEEPIDLE": 10, "TCP_KEEPINTVL": 10, "TCP_KEEPCNT": 3}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %d, want %d", k, got[k], w)
		}
	}
	if ip := localIP(c); ip != "127.0.0.1" {
		t.Errorf("localIP = %q", ip)
	}
}

func TestTargetSame(t *testing.T) {
	base := target{direct: "10.0.0.1:1369", mcast: &net.UDPAddr{IP: net.IPv4(228, 0, 0, 1).To4(), Port: 1369}, tag: 1}
	other := base
	other.tag = 2
	nomc := base
	nomc.mcast = nil
	if !base.same(base) || base.same(other) || base.same(nomc) {
		t.Error("target.same is wrong")
	}
}
