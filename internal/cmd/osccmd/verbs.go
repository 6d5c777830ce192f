package osccmd

import (
	"github.com/luoyun/osmanager/internal/treecmd"
	"github.com/luoyun/osmanager/pkg/cli"
)

// verbs are osc's tree commands, which install.sh, uninstall.sh and
// upgrade.sh run (package treecmd): `osc install ...` runs
// treecmd.Install with the arguments after the verb.
var verbs = map[string]cli.MainFunc{
	"install":   treecmd.Install,
	"uninstall": treecmd.Uninstall,
	"upgrade":   treecmd.Upgrade,
}
