// Package jstoken is a small JavaScript scanner for tests: it splits
// source into string literals (with their decoded values), comments,
// identifiers, numbers and single punctuation characters, enough to tell
// whether a substituted value stayed inside its string literal.
package jstoken

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind is a token's kind.
type Kind int

// Token kinds.
const (
	Word    Kind = iota // identifier, keyword or number
	Punct               // one punctuation character
	String              // a '...', "..." or `...` literal without ${
	Comment             // // to the end of the line, or /* ... */
)

// Token is one token: its kind, its text as written and, for a String,
// its decoded value.
type Token struct {
	Kind  Kind
	Text  string
	Value string
}

func (t Token) String() string {
	if t.Kind == String {
		return fmt.Sprintf("String(%q)", t.Value)
	}
	return fmt.Sprintf("%d(%q)", t.Kind, t.Text)
}

// ErrSyntax is returned for an unterminated literal or comment, a line
// break inside a quoted literal, a bad escape, or ${ in a template literal.
var ErrSyntax = errors.New("jstoken: syntax")

// Scan splits src into tokens; white space separates them.
func Scan(src string) ([]Token, error) {
	var out []Token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '"' || c == '`':
			v, n, err := scanString(src[i:])
			if err != nil {
				return out, err
			}
			out = append(out, Token{Kind: String, Text: src[i : i+n], Value: v})
			i += n
		case strings.HasPrefix(src[i:], "//"):
			n := strings.IndexAny(src[i:], "\n\r")
			if n < 0 {
				n = len(src) - i
			}
			out = append(out, Token{Kind: Comment, Text: src[i : i+n]})
			i += n
		case strings.HasPrefix(src[i:], "/*"):
			n := strings.Index(src[i+2:], "*/")
			if n < 0 {
				return out, fmt.Errorf("%w: unterminated comment", ErrSyntax)
			}
			out = append(out, Token{Kind: Comment, Text: src[i : i+n+4]})
			i += n + 4
		case isWord(c):
			j := i + 1
			for j < len(src) && isWord(src[j]) {
				j++
			}
			out = append(out, Token{Kind: Word, Text: src[i:j]})
			i = j
		default:
			_, n := utf8.DecodeRuneInString(src[i:])
			out = append(out, Token{Kind: Punct, Text: src[i : i+n]})
			i += n
		}
	}
	return out, nil
}

func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80
}

// scanString decodes the literal at the start of s; it returns the value
// and the literal's length.
func scanString(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, nil
		case q != '`' && (c == '\n' || c == '\r'):
			return "", 0, fmt.Errorf("%w: line break in a string literal", ErrSyntax)
		case q == '`' && c == '$' && i+1 < len(s) && s[i+1] == '{':
			return "", 0, fmt.Errorf("%w: ${ in a template literal", ErrSyntax)
		case c == '\\':
			r, n, err := unescape(s[i+1:])
			if err != nil {
				return "", 0, err
			}
			if r >= 0 {
				b.WriteRune(r)
			}
			i += 1 + n
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r)
			i += n
		}
	}
	return "", 0, fmt.Errorf("%w: unterminated string literal", ErrSyntax)
}

// unescape decodes the escape after a backslash: the rune (-1 for a line
// continuation) and the bytes it took.
func unescape(s string) (rune, int, error) {
	if s == "" {
		return 0, 0, fmt.Errorf("%w: backslash at the end", ErrSyntax)
	}
	switch s[0] {
	case 'n':
		return '\n', 1, nil
	case 't':
		return '\t', 1, nil
	case 'r':
		return '\r', 1, nil
	case 'b':
		return '\b', 1, nil
	case 'f':
		return '\f', 1, nil
	case 'v':
		return '\v', 1, nil
	case '0':
		return 0, 1, nil
	case '\n':
		return -1, 1, nil
	case 'x':
		return hexRune(s, 1, 2)
	case 'u':
		if strings.HasPrefix(s, "u{") {
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return 0, 0, fmt.Errorf("%w: bad \\u{} escape", ErrSyntax)
			}
			v, err := strconv.ParseUint(s[2:end], 16, 32)
			if err != nil || v > utf8.MaxRune {
				return 0, 0, fmt.Errorf("%w: bad \\u{} escape", ErrSyntax)
			}
			return rune(v), end + 1, nil
		}
		return hexRune(s, 1, 4)
	}
	r, n := utf8.DecodeRuneInString(s)
	return r, n, nil
}

func hexRune(s string, from, digits int) (rune, int, error) {
	if len(s) < from+digits {
		return 0, 0, fmt.Errorf("%w: short hex escape", ErrSyntax)
	}
	v, err := strconv.ParseUint(s[from:from+digits], 16, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: bad hex escape", ErrSyntax)
	}
	return rune(v), from + digits, nil
}
