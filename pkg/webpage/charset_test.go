package webpage

import (
	"strings"
	"testing"
)

func TestMetaCharset(t *testing.T) {
	tests := []struct{ page, want string }{
		{`<meta charset="GBK">`, "gbk"},
		{`<META CHARSET=gb2312>`, "gb2312"},
		{`<meta charset='big5'/>`, "big5"},
		{`<meta/charset=utf-8>`, "utf-8"},
		{`<meta http-equiv="Content-Type" content="text/html; charset=GB18030">`, "gb18030"},
		{`<meta content="text/html;charset='euc-jp'" http-equiv=content-type>`, "euc-jp"},
		{`<meta content="text/html; charset=gbk">`, ""}, // no http-equiv
		{`<meta http-equiv="refresh" content="10; charset=gbk">`, ""},
		{`<meta name="viewport" content="width=device-width"><meta charset="gbk">`, "gbk"},
		{`<!-- <meta charset="big5"> --><meta charset="gbk">`, "gbk"},
		{`<!-- unterminated <meta charset="gbk">`, ""},
		{`<metadata charset="gbk">`, ""},
		{`<meta charset="gbk; x">`, ""},
		{`<meta charset="utf-16be">`, "utf-8"},
		{`<meta charset="` + strings.Repeat("a", 41) + `">`, ""},
		{`<meta charset="gbk`, ""},
		{strings.Repeat("x", 1020) + `<meta charset="gbk">`, ""},
		{"", ""},
		{"<", ""},
		{"<meta", ""},
	}
	for _, tt := range tests {
		if got := metaCharset([]byte(tt.page)); got != tt.want {
			t.Errorf("metaCharset(%.60q) = %q, want %q", tt.page, got, tt.want)
		}
	}
}

// FuzzMetaCharset: any page gives a label that is safe in a header (or
// none), without panicking, and looks at no more than the first 1024 bytes.
func FuzzMetaCharset(f *testing.F) {
	for _, s := range []string{`<meta charset="gbk">`, `<meta http-equiv=content-type content="text/html; charset=big5">`, "<!--", "<meta a='", "<meta charset=\"x\r\ny\">"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		got := metaCharset(page)
		if got != cleanCharset(got) {
			t.Fatalf("label %q is not clean", got)
		}
		if len(page) > metaScanBytes {
			if again := metaCharset(append(page[:metaScanBytes:metaScanBytes], "<meta charset=gbk>"...)); again != got {
				t.Fatalf("looked past %d bytes: %q vs %q", metaScanBytes, got, again)
			}
		}
		if ct := htmlType(page); strings.ContainsAny(ct, "\r\n\"") {
			t.Fatalf("header value %q", ct)
		}
	})
}
