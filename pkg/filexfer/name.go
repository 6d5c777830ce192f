// Package filexfer moves files between a web terminal's browser and the
// instance for webssh: the names an upload may take (CleanName,
// Numbered), the helper that writes an upload with the logged-in user's
// rights (Put, run as that user), what /proc says about a session (the
// login shell's credentials, the foreground program's directory), the
// side channel `webssh get` hands a file to the server on (Offer,
// Receive) and a per-session rate limit (Pacer).
package filexfer

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxName bounds a cleaned name in bytes: NAME_MAX (255) less room for
// a number (" (999)") and an extension moved behind it.
const maxName = 240

// CleanName returns the plain file name an upload named name lands as:
// whatever comes after the last '/' or '\' (a browser's name carrying a
// path, "../x" or "C:\x", lands as "x"), control characters and invalid
// UTF-8 replaced by '_', surrounding spaces trimmed, cut to 240 bytes;
// "", "." and ".." become "upload".
func CleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "_")
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if len(name) > maxName {
		cut := maxName
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = strings.TrimSpace(name[:cut])
	}
	if name == "" || name == "." || name == ".." {
		return "upload"
	}
	return name
}

// Numbered returns the n-th name to try for name when it is taken: name
// itself for 0, else "name (n)", with the number before the extension as
// browsers number downloads ("report (1).pdf"; "notes (1)"; ".bashrc (1)").
func Numbered(name string, n int) string {
	if n == 0 {
		return name
	}
	suffix := " (" + strconv.Itoa(n) + ")"
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 10 && !strings.ContainsRune(name[i:], ' ') {
		return name[:i] + suffix + name[i:]
	}
	return name + suffix
}
