// Command webssh is the OS manager's webssh; its code, options and documentation
// are in package internal/cmd/webssh.
package main

import (
	"os"

	"github.com/luoyun/osmanager/internal/cmd/webssh"
	"github.com/luoyun/osmanager/pkg/cli"
)

func main() { os.Exit(cli.Run(webssh.Main)) }
