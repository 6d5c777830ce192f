// Command floppyconf is the OS manager's floppyconf; its code, options and documentation
// are in package internal/cmd/floppyconf.
package main

import (
	"os"

	"github.com/luoyun/osmanager/internal/cmd/floppyconf"
	"github.com/luoyun/osmanager/pkg/cli"
)

func main() { os.Exit(cli.Run(floppyconf.Main)) }
