// Command rampart is the one Rampart binary: server, worker and the CLI.
package main

import (
	"os"

	"github.com/rampartsec/rampart/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
