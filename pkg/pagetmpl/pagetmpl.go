// Package pagetmpl substitutes variables in the appliance's HTML pages the
// way the original's Python string.Template.safe_substitute did: $name and
// ${name} are replaced when the name is known, an unknown name stays as
// written, "$$" becomes "$", and any other "$" is left alone. A name is an
// ASCII letter or underscore followed by letters, digits or underscores.
//
// Parsing never fails: every input is a valid template.
package pagetmpl

// Template is a parsed page: literal text and variable references.
type Template struct {
	segs []segment
	size int // bytes of literal text, a hint for the output size
}

// segment is literal text (name == "") or a variable reference.
type segment struct {
	lit  string // literal text, or the reference as written
	name string // the variable's name for a reference
}

// Parse splits src into literal text and variable references.
func Parse(src []byte) *Template {
	t := &Template{}
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			t.segs = append(t.segs, segment{lit: string(lit)})
			t.size += len(lit)
			lit = lit[:0]
		}
	}
	for i := 0; i < len(src); {
		c := src[i]
		if c != '$' {
			j := i + 1
			for j < len(src) && src[j] != '$' {
				j++
			}
			lit = append(lit, src[i:j]...)
			i = j
			continue
		}
		// src[i] == '$'
		if i+1 < len(src) && src[i+1] == '$' {
			lit = append(lit, '$')
			i += 2
			continue
		}
		if n := nameLen(src[i+1:]); n > 0 {
			flush()
			t.segs = append(t.segs, segment{lit: string(src[i : i+1+n]), name: string(src[i+1 : i+1+n])})
			i += 1 + n
			continue
		}
		if i+1 < len(src) && src[i+1] == '{' {
			n := nameLen(src[i+2:])
			if n > 0 && i+2+n < len(src) && src[i+2+n] == '}' {
				flush()
				t.segs = append(t.segs, segment{lit: string(src[i : i+3+n]), name: string(src[i+2 : i+2+n])})
				i += 3 + n
				continue
			}
		}
		lit = append(lit, '$')
		i++
	}
	flush()
	return t
}

// nameLen returns the length of the name at the start of b, 0 if none.
func nameLen(b []byte) int {
	if len(b) == 0 || !(isLetter(b[0]) || b[0] == '_') {
		return 0
	}
	n := 1
	for n < len(b) && (isLetter(b[n]) || isDigit(b[n]) || b[n] == '_') {
		n++
	}
	return n
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// Lookup returns a variable's value and reports whether it is known.
type Lookup func(name string) (value string, ok bool)

// Map returns a Lookup over m.
func Map(m map[string]string) Lookup {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// Append appends the page with variables substituted to dst. Values are
// inserted as they are: escape them beforehand for HTML.
func (t *Template) Append(dst []byte, lookup Lookup) []byte {
	for _, s := range t.segs {
		if s.name != "" {
			if v, ok := lookup(s.name); ok {
				dst = append(dst, v...)
				continue
			}
		}
		dst = append(dst, s.lit...)
	}
	return dst
}

// Render returns the substituted page in a new slice.
func (t *Template) Render(lookup Lookup) []byte {
	return t.Append(make([]byte, 0, t.size+256), lookup)
}

// Names lists the variable names referenced, in order of first use.
func (t *Template) Names() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range t.segs {
		if s.name != "" && !seen[s.name] {
			seen[s.name] = true
			out = append(out, s.name)
		}
	}
	return out
}
