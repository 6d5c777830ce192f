package health

import "github.com/luoyun/osmanager/pkg/bootlog"

// The boot record is package bootlog's; these names keep the report's
// own vocabulary.
type (
	// Boot is the last boot's record (bootlog.Boot).
	Boot = bootlog.Boot
	// Step is one step of it (bootlog.Step).
	Step = bootlog.Step
)

// BootFile is the boot record under the tree's run/ directory.
const BootFile = bootlog.BootFile

// maxMessage bounds one line of the report.
const maxMessage = bootlog.MaxMessage

// ParseBoot reads a boot record (bootlog.ParseBoot).
func ParseBoot(data []byte) (Boot, error) { return bootlog.ParseBoot(data) }

// cleanLine makes s one printable line of at most max bytes.
func cleanLine(s string, max int) string { return bootlog.CleanLine(s, max) }

// Outcomes of a boot step (bootlog's).
const (
	OK      = bootlog.OK
	Warning = bootlog.Warning
	Failed  = bootlog.Failed
	Skipped = bootlog.Skipped
)
