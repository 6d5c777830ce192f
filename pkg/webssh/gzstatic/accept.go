package gzstatic

import "strings"

// AcceptsGzip reports whether a request whose Accept-Encoding field
// lines are values (RFC 9110, section 12.5.3) takes a gzip-coded
// response and prefers it to an uncoded one.
//
// gzip (or its alias x-gzip) is taken when it, or "*" where gzip is not
// named, has a weight above 0 that is not below the weight the field
// gives identity by name. No field, an empty field, "gzip;q=0" and a
// weight that is not a valid qvalue all mean no: the uncoded response is
// always acceptable, so doubt falls on its side.
func AcceptsGzip(values []string) bool {
	gz, star, identity := -1, -1, -1 // weights in thousandths; -1: not named
	for _, v := range values {
		for elem := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(elem, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding == "" {
				continue
			}
			q := weight(params)
			switch coding {
			case "gzip", "x-gzip":
				gz = max(gz, q)
			case "*":
				star = max(star, q)
			case "identity":
				identity = max(identity, q)
			}
		}
	}
	if gz < 0 {
		gz = star
	}
	return gz > 0 && gz >= identity
}

// weight returns the q parameter among params (";"-separated, as they
// follow a coding) in thousandths: 1000 when there is none, 0 when it is
// not a valid qvalue.
func weight(params string) int {
	for p := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(name), "q") {
			return qvalue(strings.TrimSpace(value))
		}
	}
	return 1000
}

// qvalue parses RFC 9110's qvalue, ( "0" [ "." 0*3DIGIT ] ) / ( "1" [
// "." 0*3("0") ] ), into thousandths; anything else is 0.
func qvalue(s string) int {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0
	}
	n := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return n
	}
	if s[1] != '.' {
		return 0
	}
	scale := 100
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
		n += int(s[i]-'0') * scale
		scale /= 10
	}
	if n > 1000 {
		return 0
	}
	return n
}
