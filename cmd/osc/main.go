// Command osc is the OS manager's osc; its code, options and documentation
// are in package internal/cmd/osc.
package main

import (
	"os"

	"github.com/luoyun/osmanager/internal/cmd/osc"
	"github.com/luoyun/osmanager/pkg/cli"
)

func main() { os.Exit(cli.Run(osc.Main)) }
