package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X github.com/rampartsec/rampart/internal/cli.Version=...".
var Version = "dev"

func init() {
	register("version", func(g *Globals) *cobra.Command {
		return &cobra.Command{
			Use:   "version",
			Short: "Print the rampart version",
			Args:  Args(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				_, err := fmt.Fprintln(g.Stdout, "rampart", Version)
				return err
			},
		}
	})
}
