package webpage

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestTraversal sends hostile request targets, exactly as written, and
// checks that none reaches a file outside the page set it was routed to.
func TestTraversal(t *testing.T) {
	f := newFixture(t)
	_, addr := start(t, f.config(newClock(t0)), nil)
	hostile := []string{
		"/../secret.txt",
		"/../../../../../../../../etc/passwd",
		"/%2e%2e/secret.txt",
		"/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
		"/..%2fsecret.txt",
		"/%2e%2e%2f%2e%2e%2fsecret.txt",
		"/..%5csecret.txt",
		"/..%5c..%5csecret.txt",
		`/..\secret.txt`,
		`/\..\..\secret.txt`,
		`\..\secret.txt`,
		"//etc/passwd",
		"/%2fetc%2fpasswd",
		"/etc/passwd",
		"/link-outside",
		"/dir-outside/secret.txt",
		"/dir-outside/",
		"/dir-outside/../secret.txt",
		"/abs-link",
		"/link-to-with",
		"/index.html%00",
		"/secret.txt%00.html",
		"/%00/../secret.txt",
		"/../withcookie/only-with.txt",
		"/.%2e/secret.txt",
		"/%2e./secret.txt",
		"/./../secret.txt",
		"/sub/../../secret.txt",
		"/sub/%2e%2e/%2e%2e/secret.txt",
		"/%252e%252e/secret.txt",
		"/%c0%ae%c0%ae/secret.txt",
		"/..%c0%afsecret.txt",
		"/.hidden",
		"/%2ehidden",
		"/sub/.././.hidden",
		"/...",
		"../secret.txt",
		"secret.txt",
		"*",
		"http://127.0.0.1/../secret.txt",
		"http://127.0.0.1/%2e%2e/secret.txt",
		"/" + strings.Repeat("../", 200) + "etc/passwd",
	}
	leaks := []string{"TOPSECRET", "root:", "HIDDEN", "WITH-ONLY"}
	for _, withCookie := range []bool{false, true} {
		for _, target := range hostile {
			tgt := target
			if withCookie {
				tgt += "?cookie=" + testCookie
			}
			r := get(t, addr, tgt)
			if r.status != http.StatusBadRequest && r.status != http.StatusNotFound {
				t.Errorf("GET %q: status %d, want 400 or 404 (body %.60q)", tgt, r.status, r.body)
			}
			for _, leak := range leaks {
				if withCookie && leak == "WITH-ONLY" {
					continue
				}
				if strings.Contains(r.body, leak) {
					t.Errorf("GET %q leaked %q: %q", tgt, leak, r.body)
				}
			}
		}
	}
	// Allowed links still work, and the fixture files to steal exist.
	if r := get(t, addr, "/link-inside.html"); r.status != 200 {
		t.Errorf("symlink inside the root: %d", r.status)
	}
	if r := get(t, addr, "/only-with.txt?cookie="+testCookie); r.status != 200 {
		t.Errorf("withcookie file: %d", r.status)
	}
}

func TestCleanPath(t *testing.T) {
	tests := []struct {
		target, rel string
		slash, ok   bool
	}{
		{"/", ".", true, true},
		{"//", ".", true, true},
		{"/a", "a", false, true},
		{"/a/", "a", true, true},
		{"/a//b", "a/b", false, true},
		{"/a/b/", "a/b", true, true},
		{"/%E4%B8%AD.html", "中.html", false, true},
		{"/a%20b", "a b", false, true},
		{"/a%2fb", "", false, false},
		{"/a%2Fb", "", false, false},
		{"/a%5cb", "", false, false},
		{"/a%00", "", false, false},
		{"/a%0a", "", false, false},
		{"/a%7f", "", false, false},
		{"/..", "", false, false},
		{"/a/..", "", false, false},
		{"/.", "", false, false},
		{"/.git/config", "", false, false},
		{"/a/.b", "", false, false},
		{"/a.b/c", "a.b/c", false, true},
		{"*", "", false, false},
	}
	for _, tt := range tests {
		u, err := url.ParseRequestURI(tt.target)
		if err != nil {
			t.Fatalf("%q: %v", tt.target, err)
		}
		rel, slash, ok := cleanPath(&http.Request{URL: u})
		if rel != tt.rel || slash != tt.slash || ok != tt.ok {
			t.Errorf("cleanPath(%q) = %q, %v, %v; want %q, %v, %v", tt.target, rel, slash, ok, tt.rel, tt.slash, tt.ok)
		}
	}
}

func TestQueryCookie(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"", ""},
		{"cookie=abc", "abc"},
		{"a=1&cookie=abc&b=2", "abc"},
		{"cookie=a%20b", "a b"},
		{"cookie=a+b", "a b"},
		{"cookie=%zz", ""},
		{"cookie", ""},
		{"cookie=", ""},
		{"cookie=x&cookie=y", "x"},
		{"%63ookie=abc", "abc"},
		{"Cookie=abc", ""},
		{"cookies=abc", ""},
		{"x=cookie=abc", ""},
		{"cookie=a=b", "a=b"},
		{";cookie=abc", ""},
	}
	for _, tt := range tests {
		if got := queryCookie(tt.raw); got != tt.want {
			t.Errorf("queryCookie(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"/", "/a/b", "/../x", "/%2e%2e/x", "/a%2fb", `/\x`, "//x", "/.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		rel, _, ok := cleanPath(&http.Request{URL: u})
		if !ok {
			return
		}
		if rel == "." {
			return
		}
		for _, seg := range strings.Split(rel, "/") {
			if seg == "" || seg[0] == '.' || strings.ContainsAny(seg, "\\\x00") {
				t.Fatalf("cleanPath(%q) = %q: bad segment %q", target, rel, seg)
			}
		}
		if strings.HasPrefix(rel, "/") {
			t.Fatalf("cleanPath(%q) = %q: absolute", target, rel)
		}
	})
}

func FuzzQueryCookie(f *testing.F) {
	for _, s := range []string{"", "cookie=abc", "a=1&cookie=a%20b", "%63ookie=x", "cookie=%zz", "cookie=x&cookie=y", ";cookie=z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := queryCookie(raw)
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return // the standard parser refuses it; ours only must not panic
		}
		if want := vals.Get("cookie"); got != want {
			t.Fatalf("queryCookie(%q) = %q, url.ParseQuery gives %q", raw, got, want)
		}
	})
}
