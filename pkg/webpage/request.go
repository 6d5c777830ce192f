package webpage

import (
	"net/http"
	"net/url"
	"strings"
)

// queryCookie returns the first cookie= value of a raw query, "" if none.
func queryCookie(raw string) string {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k != "cookie" {
			if uk, err := url.QueryUnescape(k); err != nil || uk != "cookie" {
				continue
			}
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			return uv
		}
		return ""
	}
	return ""
}

// cleanPath checks the request's path and returns it relative to a page
// set ("." for the top) and whether it ended with a slash. It refuses
// (ok false) anything that is not a plain path below the root: "." or
// ".." segments and other names starting with a dot, backslashes, NUL and
// other control characters, encoded slashes or backslashes.
func cleanPath(r *http.Request) (rel string, dirSlash, ok bool) {
	p := r.URL.Path
	if p == "" || p[0] != '/' {
		return "", false, false
	}
	if raw := r.URL.RawPath; raw != "" && containsFold(raw, "%2f", "%5c", "%00") {
		return "", false, false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "", false, false
		}
	}
	if p == "/" {
		return ".", true, true
	}
	dirSlash = strings.HasSuffix(p, "/")
	segs := strings.Split(strings.Trim(p, "/"), "/")
	out := segs[:0]
	for _, seg := range segs {
		switch {
		case seg == "":
			continue // "//" is "/"
		case seg[0] == '.':
			return "", false, false
		}
		out = append(out, seg)
	}
	if len(out) == 0 {
		return ".", true, true
	}
	return strings.Join(out, "/"), dirSlash, true
}

// containsFold reports whether s contains any of the (lower-case) needles,
// ignoring ASCII case.
func containsFold(s string, needles ...string) bool {
	ls := strings.ToLower(s)
	for _, n := range needles {
		if strings.Contains(ls, n) {
			return true
		}
	}
	return false
}
