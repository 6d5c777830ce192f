package webpage

import (
	"bytes"
	"strings"
)

// metaScanBytes is how much of a page is searched for its <meta> charset,
// as browsers do (the HTML standard's prescan looks at the first 1024
// bytes).
const metaScanBytes = 1024

// htmlType returns the Content-Type of an HTML page whose first bytes are
// head: the charset its own <meta charset="..."> or <meta
// http-equiv="Content-Type" content="...; charset=..."> declares, else
// UTF-8. The original sent text/html without a charset, so a builder's
// page in GBK with its own declaration rendered; naming UTF-8 in the
// header would override that declaration.
func htmlType(head []byte) string {
	if cs := metaCharset(head); cs != "" {
		return "text/html; charset=" + cs
	}
	return "text/html; charset=utf-8"
}

// metaCharset finds the charset a page declares in a <meta> tag within its
// first metaScanBytes, lower-cased; "" when it declares none, or one that
// is not a plain charset name. Comments are skipped. A UTF-16 label means
// UTF-8, as for browsers (the page was read as ASCII-compatible bytes).
func metaCharset(page []byte) string {
	if len(page) > metaScanBytes {
		page = page[:metaScanBytes]
	}
	for i := 0; i < len(page); {
		j := bytes.IndexByte(page[i:], '<')
		if j < 0 {
			return ""
		}
		i += j
		rest := page[i:]
		if bytes.HasPrefix(rest, []byte("<!--")) {
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return ""
			}
			i += 4 + end + 3
			continue
		}
		if len(rest) > 5 && asciiLower(rest[1:5]) == "meta" && isSpaceOrSlash(rest[5]) {
			cs, n := metaTag(rest[5:])
			if cs != "" {
				return cs
			}
			i += 5 + n
			continue
		}
		i++
	}
	return ""
}

// metaTag reads the attributes of one <meta> tag from b (after "<meta")
// and returns the charset it declares and the bytes it read.
func metaTag(b []byte) (string, int) {
	var charset, content string
	httpEquiv := false
	i := 0
	for {
		name, value, n, ok := attribute(b[i:])
		i += n
		if !ok {
			break
		}
		switch name {
		case "charset":
			if charset == "" {
				charset = value
			}
		case "http-equiv":
			httpEquiv = strings.EqualFold(value, "content-type")
		case "content":
			if content == "" {
				content = value
			}
		}
	}
	if charset == "" && httpEquiv {
		charset = contentCharset(content)
	}
	return cleanCharset(charset), i
}

// attribute reads one attribute from b: its lower-cased name, its value
// (quotes removed) and the bytes read; ok is false at the tag's end.
func attribute(b []byte) (name, value string, n int, ok bool) {
	i := 0
	for i < len(b) && (isSpace(b[i]) || b[i] == '/') {
		i++
	}
	if i >= len(b) || b[i] == '>' {
		return "", "", i, false
	}
	start := i
	for i < len(b) && !isSpace(b[i]) && b[i] != '/' && b[i] != '>' && b[i] != '=' {
		i++
	}
	name = asciiLower(b[start:i])
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i >= len(b) || b[i] != '=' {
		return name, "", i, true
	}
	i++
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i < len(b) && (b[i] == '"' || b[i] == '\'') {
		q := b[i]
		end := bytes.IndexByte(b[i+1:], q)
		if end < 0 {
			return name, "", len(b), false // unterminated: the tag never ends
		}
		return name, string(b[i+1 : i+1+end]), i + 1 + end + 1, true
	}
	start = i
	for i < len(b) && !isSpace(b[i]) && b[i] != '>' {
		i++
	}
	return name, string(b[start:i]), i, true
}

// contentCharset extracts charset=NAME from a content attribute such as
// "text/html; charset=gbk".
func contentCharset(content string) string {
	lower := strings.ToLower(content)
	k := strings.Index(lower, "charset")
	if k < 0 {
		return ""
	}
	rest := strings.TrimLeft(content[k+len("charset"):], " \t\n\f\r")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " \t\n\f\r")
	if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
		q := rest[0]
		end := strings.IndexByte(rest[1:], q)
		if end < 0 {
			return ""
		}
		return rest[1 : 1+end]
	}
	end := strings.IndexAny(rest, " \t\n\f\r;")
	if end < 0 {
		return rest
	}
	return rest[:end]
}

// cleanCharset returns the lower-cased label when it is a plain charset
// name (letters, digits and ._:- up to 40 bytes, safe in a header), else "".
func cleanCharset(label string) string {
	label = strings.ToLower(strings.TrimSpace(label))
	if label == "" || len(label) > 40 {
		return ""
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return ""
		}
	}
	if strings.HasPrefix(label, "utf-16") || label == "utf16" {
		return "utf-8"
	}
	return label
}

func isSpace(c byte) bool        { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }
func isSpaceOrSlash(c byte) bool { return isSpace(c) || c == '/' }

// asciiLower lower-cases ASCII letters only.
func asciiLower(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}
