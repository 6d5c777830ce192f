package osm

import (
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"

	"github.com/luoyun/osmanager/pkg/clcproto"
	"github.com/luoyun/osmanager/pkg/lyconf"
)

// DefaultCLCPort is used when CLC_IP is set and CLC_PORT is empty.
const DefaultCLCPort = 1369

// target is what the agent needs from luoyun.conf.
type target struct {
	direct string       // "ip:port" from CLC_IP/CLC_PORT; "" when absent
	mcast  *net.UDPAddr // CLC_MCAST_IP:CLC_MCAST_PORT; nil when absent
	tag    int32
	key    lyconf.Secret
}

// same reports whether two targets need no reconnection.
func (t target) same(o target) bool {
	return t.direct == o.direct && t.mcast.String() == o.mcast.String() && t.tag == o.tag && t.key.Equal(o.key)
}

// osmKeys are the luoyun.conf keys the registrar uses.
var osmKeys = []string{"CLC_IP", "CLC_PORT", "CLC_MCAST_IP", "CLC_MCAST_PORT", "TAG", "KEY"}

// loadTarget reads and checks luoyun.conf. Errors never contain the KEY.
func loadTarget(path string) (target, error) {
	c, err := lyconf.Load(path)
	if err != nil {
		return target{}, err
	}
	// Only the lines osm needs can stop it; a bad JSON line cannot.
	if err := c.Err(osmKeys...); err != nil {
		return target{}, err
	}
	return targetOf(c)
}

func targetOf(c *lyconf.Conf) (target, error) {
	var t target
	var errs []error
	// at names a key with its line, "line 5: TAG".
	at := func(key string) string {
		if n := c.Line(key); n > 0 {
			return fmt.Sprintf("line %d: %s", n, key)
		}
		return key
	}
	if !c.HasTag {
		errs = append(errs, errors.New("TAG is missing"))
	} else if c.Tag < math.MinInt32 || c.Tag > math.MaxInt32 {
		errs = append(errs, fmt.Errorf("%s: %d is out of range", at("TAG"), c.Tag))
	}
	t.tag = int32(c.Tag)
	if err := clcproto.CheckKey([]byte(c.Key.Reveal())); err != nil {
		errs = append(errs, err)
	}
	t.key = c.Key
	if c.CLCIP != "" && !lyconf.MayShow(c.CLCIP, c.Key.Reveal()) {
		// Never logged nor written to the state file as an address.
		errs = append(errs, fmt.Errorf("%s: its value is not an address (not shown: it resembles the KEY)", at("CLC_IP")))
	} else if c.CLCIP != "" {
		port := c.CLCPort
		if port == 0 {
			port = DefaultCLCPort
		}
		t.direct = net.JoinHostPort(c.CLCIP, strconv.Itoa(port))
	}
	if c.MCastIP != "" && c.MCastPort != 0 {
		ip := net.ParseIP(c.MCastIP)
		if ip == nil || ip.To4() == nil || !ip.IsMulticast() {
			v := "its value"
			if lyconf.MayShow(c.MCastIP, c.Key.Reveal()) {
				v = strconv.Quote(c.MCastIP)
			}
			errs = append(errs, fmt.Errorf("%s: %s is not an IPv4 multicast group", at("CLC_MCAST_IP"), v))
		} else {
			t.mcast = &net.UDPAddr{IP: ip.To4(), Port: c.MCastPort}
		}
	}
	if t.direct == "" && t.mcast == nil && len(errs) == 0 {
		errs = append(errs, errors.New("no controller: neither CLC_IP nor CLC_MCAST_IP/CLC_MCAST_PORT is set"))
	}
	if err := errors.Join(errs...); err != nil {
		return target{}, fmt.Errorf("luoyun.conf: %w", err)
	}
	return t, nil
}
