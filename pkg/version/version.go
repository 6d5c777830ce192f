// Package version holds the build's version and commit, stamped by the
// Makefile through -ldflags "-X".
package version

import "runtime/debug"

// Stamped at build time; see the Makefile.
var (
	Version = "dev"
	Commit  = ""
)

// String returns "NAME VERSION (commit COMMIT)".
func String(name string) string {
	c := Commit
	if c == "" {
		c = vcsRevision()
	}
	if c == "" {
		c = "unknown"
	}
	return name + " " + Version + " (commit " + c + ")"
}

func vcsRevision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return s.Value[:12]
		}
	}
	return ""
}
