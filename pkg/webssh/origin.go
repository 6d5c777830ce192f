package webssh

import (
	"net/url"
	"strings"
)

// OriginAllowed reports whether a websocket upgrade with this Origin
// header may open a session on the server reached as host (the request's
// Host header). An absent Origin (not a browser) is allowed: the check
// exists to stop other web sites' pages from driving a visitor's browser.
// Otherwise the Origin's host:port must equal host, or match an entry of
// allowed: a full origin ("https://cloud.example:8443"), a host:port, or a
// bare host (any port).
func OriginAllowed(origin, host string, allowed []string) bool {
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if strings.EqualFold(u.Host, host) {
		return true
	}
	for _, a := range allowed {
		a = strings.TrimSuffix(strings.TrimSpace(a), "/")
		switch {
		case a == "":
		case strings.Contains(a, "://"):
			if strings.EqualFold(a, u.Scheme+"://"+u.Host) {
				return true
			}
		case strings.EqualFold(a, u.Host), strings.EqualFold(a, u.Hostname()):
			return true
		}
	}
	return false
}
