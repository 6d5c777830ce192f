package health

import (
	"path/filepath"

	"github.com/luoyun/osmanager/pkg/settings"
)

// maxProblems bounds what the report keeps of a settings file's mistakes.
const maxProblems = 32

// settingsProblems returns the mistakes in the settings file, each one
// line (none when the file is missing).
func settingsProblems(o Options) []string {
	path := o.Settings
	if path == "" {
		path = filepath.Join(o.Dir, "custom", "osmanager.toml")
	}
	_, problems, err := settings.Load(path, true)
	if err != nil {
		return []string{cleanLine(err.Error(), maxMessage)}
	}
	var out []string
	for _, p := range problems[:min(len(problems), maxProblems)] {
		out = append(out, cleanLine(p.Error(), maxMessage))
	}
	return out
}
