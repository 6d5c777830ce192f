// Command osc is the OS manager's osc; its code, options and documentation
// are in package internal/cmd/osccmd.
package main

import (
	"os"

	"github.com/luoyun/osmanager/internal/cmd/osccmd"
	"github.com/luoyun/osmanager/pkg/cli"
)

func main() { os.Exit(cli.Run(osccmd.Main)) }
