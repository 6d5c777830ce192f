// Package release holds the OS manager's own release: the version and
// commit of this build, stamped by the Makefile through -ldflags "-X".
// (The appliance's build, read from its build/ files, is
// pkg/appliancebuild.)
package release

import "runtime/debug"

// Stamped at build time; see the Makefile.
var (
	Version = "dev"
	Commit  = ""
)

// Info is the build's release and commit, as `osm status` and the page
// show them.
type Info struct {
	// Release is Version: the git tag the build was made from (git
	// describe: a tag, or the short commit with -dirty when untagged).
	Release string `json:"release"`
	// Commit is the commit's hash, "unknown" when the build does not say.
	Commit string `json:"commit"`
}

// Get returns the build's release and commit.
func Get() Info {
	c := Commit
	if c == "" {
		c = vcsRevision()
	}
	if c == "" {
		c = "unknown"
	}
	return Info{Release: Version, Commit: c}
}

// String returns "RELEASE (commit COMMIT)".
func (i Info) String() string { return i.Release + " (commit " + i.Commit + ")" }

// String returns "NAME RELEASE (commit COMMIT)", what --version prints.
func String(name string) string { return name + " " + Get().String() }

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
