// Command web is the OS manager's web; its code, options and documentation
// are in package internal/cmd/webcmd.
package main

import (
	"os"

	"github.com/luoyun/osmanager/internal/cmd/webcmd"
	"github.com/luoyun/osmanager/pkg/cli"
)

func main() { os.Exit(cli.Run(webcmd.Main)) }
