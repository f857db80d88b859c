package cli

import (
	"bytes"
	"fmt"
	"os"

	"github.com/rampartsec/rampart/playbooks"
	"github.com/spf13/cobra"
)

func init() {
	registerSub("playbook", func(g *Globals) *cobra.Command {
		var check bool
		cmd := &cobra.Command{
			Use:   "fmt FILE...",
			Short: "Rewrite playbooks in canonical form (comments are kept)",
			Long: `Rewrite playbooks in canonical form: two-space indentation, the fields in the order
name, description, on, when, priority, concurrency, steps, and each step's fields in a fixed
order. Comments are kept. With --check nothing is written: the files that would change are
listed and the exit status is 1 if there is any.`,
			Args: Args(cobra.MinimumNArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error { return runFmt(g, args, check) },
		}
		cmd.Flags().BoolVar(&check, "check", false, "list files that are not in canonical form, write nothing, exit 1 if any")
		return cmd
	})
}

func runFmt(g *Globals, files []string, check bool) error {
	failed := false
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			return UsageError(fmt.Errorf("fmt: %w", err))
		}
		out, err := playbooks.Format(src)
		if err != nil {
			fmt.Fprintf(g.Stderr, "%s: %v\n", path, err)
			failed = true
			continue
		}
		if bytes.Equal(out, src) {
			continue
		}
		if check {
			fmt.Fprintln(g.Stdout, path)
			failed = true
			continue
		}
		st, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("fmt: %w", err)
		}
		if err := os.WriteFile(path, out, st.Mode().Perm()); err != nil {
			return fmt.Errorf("fmt: %w", err)
		}
	}
	if failed {
		return errSilent
	}
	return nil
}
