package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/app"
)

func init() {
	register("worker", func(g *Globals) *cobra.Command {
		var (
			f    runtimeFlags
			orgs []string
		)
		cmd := &cobra.Command{
			Use:   "worker --org ORG",
			Short: "Run the actions of one organisation's playbooks on this machine",
			Long: `Poll only the named organisation's action queue, so the actions of its playbooks run here,
near its firewalls and resolvers, with the connections (and secrets) of this data directory.
The workflows themselves run in the cluster's serve processes.

The Temporal cluster is --temporal-address (RAMPART_TEMPORAL_ADDRESS), or the embedded server
of a rampart serve running on the same --data directory.`,
			Example: "  rampart worker --org acme --temporal-address temporal.isac.example:7233 --data /var/lib/rampart",
			Args:    Args(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				if len(orgs) == 0 {
					return UsageError(fmt.Errorf("--org is required: the organisation whose actions this worker runs"))
				}
				cfg, err := loadConfig(cmd, g, &f)
				if err != nil {
					return err
				}
				ctx, stop := signalContext(cmd.Context())
				defer stop()
				log := newLogger(g, cfg.LogLevel)
				return app.RunWorker(ctx, app.WorkerOptions{Config: cfg, Orgs: orgs, Logger: log,
					Ready: func() { fmt.Fprintf(g.Stdout, "worker polling the action queues of %v\n", orgs) }})
			},
		}
		cmd.Flags().StringSliceVar(&orgs, "org", nil, "organisation whose action queue to poll (required; repeatable)")
		f.register(cmd, false)
		return cmd
	})
}
