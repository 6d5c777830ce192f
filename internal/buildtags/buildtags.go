// Package buildtags holds the build tags the shipped binaries are built
// with, so that tests which build a binary themselves (when LUOYUN_BIN is
// unset) build the same program the Makefile ships.
package buildtags

// Tags is the -tags value of the Makefile's TAGS variable (an
// integration test checks that the two agree).
//
// nethttpomithttp2 leaves the bundled HTTP/2 out of net/http: web and
// webssh serve HTTP/1.1 only (websockets need it anyway), and each binary
// maps about 0.4 MB less.
const Tags = "nethttpomithttp2"

// Args returns the go build arguments that set Tags.
func Args() []string { return []string{"-tags", Tags} }
