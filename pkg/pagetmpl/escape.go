package pagetmpl

import (
	"strings"
	"unicode/utf8"
)

// Escaping for the file a value lands in. The pages are text files of
// several kinds and a value may land anywhere in them (an element, an
// attribute, a string literal of a script), so it is escaped so that it
// cannot end the context it is in:
//
//   - EscapeHTML, for every text file but JavaScript: & < > ' " and the
//     backslash become character references.
//   - EscapeJS, for .js files: \ ' " ` < > & $ U+2028 U+2029 and control
//     characters become JavaScript escapes (\\ and \uXXXX), so that a value
//     stays inside a '...', "..." or `...` literal (no ${ either) and
//     cannot write </script> or <!-- into a page that inlines the file.

var htmlReplacer = strings.NewReplacer(
	`&`, "&amp;",
	`'`, "&#39;",
	`<`, "&lt;",
	`>`, "&gt;",
	`"`, "&#34;",
	`\`, "&#92;",
)

// EscapeHTML escapes s for HTML and the text files that are not scripts:
// & < > ' " and \ become character references.
func EscapeHTML(s string) string { return htmlReplacer.Replace(s) }

// EscapeJS escapes s for a JavaScript string literal (single, double or
// back quotes): \ becomes \\; ' " ` < > & $, U+2028, U+2029, control
// characters (C0 and DEL) and invalid UTF-8 bytes become \uXXXX (an
// invalid byte as U+FFFD).
func EscapeJS(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\'' || r == '"' || r == '`' || r == '<' || r == '>' || r == '&' || r == '$' ||
			r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029':
			const hex = "0123456789ABCDEF"
			b.WriteString(`\u`)
			b.WriteByte(hex[r>>12&0xf])
			b.WriteByte(hex[r>>8&0xf])
			b.WriteByte(hex[r>>4&0xf])
			b.WriteByte(hex[r&0xf])
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\uFFFD`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
