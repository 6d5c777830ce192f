// Command webssh is the OS manager's webssh; its code, options and documentation
// are in package internal/cmd/websshcmd.
package main

import (
	"os"

	"github.com/luoyun/osmanager/internal/cmd/websshcmd"
	"github.com/luoyun/osmanager/pkg/cli"
)

func main() { os.Exit(cli.Run(websshcmd.Main)) }
