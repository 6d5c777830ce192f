// Command floppyconf is the OS manager's floppyconf; its code, options and documentation
// are in package internal/cmd/floppyconfcmd.
package main

import (
	"os"

	"github.com/luoyun/osmanager/internal/cmd/floppyconfcmd"
	"github.com/luoyun/osmanager/pkg/cli"
)

func main() { os.Exit(cli.Run(floppyconfcmd.Main)) }
