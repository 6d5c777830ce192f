// Command osm is the OS manager's osm; its code, options and documentation
// are in package internal/cmd/osmcmd.
package main

import (
	"os"

	"github.com/luoyun/osmanager/internal/cmd/osmcmd"
	"github.com/luoyun/osmanager/pkg/cli"
)

func main() { os.Exit(cli.Run(osmcmd.Main)) }
