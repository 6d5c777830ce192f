// Package multicall picks the command of the one-binary flavour
// (cmd/luoyun) from its argv[0].
package multicall

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/luoyun/osmanager/internal/cmd/floppyconfcmd"
	"github.com/luoyun/osmanager/internal/cmd/osccmd"
	"github.com/luoyun/osmanager/internal/cmd/osmcmd"
	"github.com/luoyun/osmanager/internal/cmd/webcmd"
	"github.com/luoyun/osmanager/internal/cmd/websshcmd"
	"github.com/luoyun/osmanager/pkg/cli"
)

// Name is the multicall binary's own name: bin/luoyun.
const Name = "luoyun"

// Commands are the commands the binary holds, by name.
var Commands = map[string]cli.MainFunc{
	"floppyconf": floppyconfcmd.Main,
	"osc":        osccmd.Main,
	"osm":        osmcmd.Main,
	"web":        webcmd.Main,
	"webssh":     websshcmd.Main,
}

// Lookup returns the command argv names and the argv that command sees:
// argv itself when argv[0]'s base name is a command (bin/osm, a link to
// bin/luoyun), or argv without its first element when the binary runs
// under its own name (luoyun osm ...).
func Lookup(argv []string) (cli.MainFunc, []string, error) {
	if len(argv) == 0 {
		return nil, nil, fmt.Errorf("no argv[0]; run as one of %s", names())
	}
	base := filepath.Base(argv[0])
	if m, ok := Commands[base]; ok {
		return m, argv, nil
	}
	if base != Name {
		return nil, nil, fmt.Errorf("%q is no command of this binary; run as one of %s", base, names())
	}
	if len(argv) < 2 {
		return nil, nil, fmt.Errorf("usage: %s COMMAND [ARGS], COMMAND one of %s", Name, names())
	}
	if m, ok := Commands[argv[1]]; ok {
		return m, argv[1:], nil
	}
	return nil, nil, fmt.Errorf("unknown command %q; one of %s", argv[1], names())
}

func names() string {
	n := make([]string, 0, len(Commands))
	for k := range Commands {
		n = append(n, k)
	}
	sort.Strings(n)
	return strings.Join(n, ", ")
}
