package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/core"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/engine/devserver"
	"github.com/rampartsec/rampart/engine/temporalconn"
	"github.com/rampartsec/rampart/internal/config"
)

// engineConn is a connection to the Temporal cluster of the configuration: an external
// cluster, the embedded server a running `rampart serve` owns on the data directory, or an
// embedded server this command starts (and stops) itself. In that last case nothing else
// runs the workflows, so the command runs a worker too: the workflow queue, and the action
// queue of org (built-in core/* actions only) when org is given.
type engineConn struct {
	client  *engine.Client
	closers []func()
}

func (c *engineConn) Close() {
	for i := len(c.closers) - 1; i >= 0; i-- {
		c.closers[i]()
	}
}

func connectEngine(ctx context.Context, cmd *cobra.Command, g *Globals, org string) (*engineConn, error) {
	cfg, err := config.Load(g.Config, os.Getenv)
	if err != nil {
		return nil, UsageError(err)
	}
	if f := cmd.Flag("data"); (f != nil && f.Changed) || cfg.Data == "" {
		cfg.Data = g.Data
	}
	ns := cfg.Temporal.Namespace
	conn := &engineConn{}
	addr := cfg.Temporal.Address
	var own *devserver.Server
	if addr == "" {
		var err error
		addr, ns, own, err = devserver.Ensure(devserver.Options{DataDir: cfg.Data, Namespace: ns, FrontendPort: cfg.Temporal.Port})
		if err != nil {
			return nil, err
		}
		if own != nil {
			conn.closers = append(conn.closers, func() { own.Stop() })
		}
	}
	tc, err := temporalconn.Dial(ctx, temporalconn.Options{Address: addr, Namespace: ns, TLS: cfg.Temporal.ClientTLS()})
	if err != nil {
		conn.Close()
		return nil, err
	}
	conn.closers = append(conn.closers, tc.Close)
	conn.client = engine.NewClient(tc)
	if own != nil {
		opts := engine.WorkerOptions{Workflows: true}
		if org != "" {
			opts.Orgs = []string{org}
			opts.Executor = cliExecutor()
		}
		w, err := engine.NewWorker(tc, opts)
		if err == nil {
			err = w.Start()
		}
		if err != nil {
			conn.Close()
			return nil, err
		}
		conn.closers = append(conn.closers, w.Stop)
	}
	return conn, nil
}

// withEngine runs fn with the command's context and a client of the engine (connectEngine
// without an org: no action worker), and closes the connection after it.
func withEngine(cmd *cobra.Command, g *Globals, fn func(ctx context.Context, c *engine.Client) error) error {
	ctx := cmd.Context()
	conn, err := connectEngine(ctx, cmd, g, "")
	if err != nil {
		return err
	}
	defer conn.Close()
	return fn(ctx, conn.client)
}

// cliExecutor runs the built-in core/* actions; plugin actions need `rampart serve`.
func cliExecutor() actions.Executor {
	b := core.New(slog.New(slog.DiscardHandler), httpx.Options{})
	return actions.ExecutorFunc(func(ctx context.Context, r actions.Request) (map[string]any, error) {
		if !strings.HasPrefix(r.Action, core.Prefix+"/") {
			return nil, actions.Errorf(actions.CodeUnavailable, false,
				"%s: this command runs only core/* actions itself; start `rampart serve` on this data directory to run plugin actions", r.Action)
		}
		return b.Execute(ctx, r)
	})
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func init() {
	registerSub("runs", func(g *Globals) *cobra.Command {
		var f engine.Filter
		cmd := &cobra.Command{
			Use:   "list",
			Short: "List playbook runs, newest first",
			Args:  Args(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, c *engine.Client) error {
					runs, _, err := c.List(ctx, f, nil)
					if err != nil {
						return err
					}
					if g.Format == "json" {
						return writeJSON(g.Stdout, runs)
					}
					tw := tabwriter.NewWriter(g.Stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "RUN\tSTATUS\tTRIGGER\tSTARTED\tENDED")
					for _, r := range runs {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, dash(r.Trigger), r.StartedAt, dash(r.EndedAt))
					}
					return tw.Flush()
				})
			},
		}
		fl := cmd.Flags()
		fl.StringVar(&f.Org, "org", "", "only this organisation's runs")
		fl.StringVar(&f.Playbook, "playbook", "", "only this playbook's runs")
		fl.StringVar(&f.Status, "status", "", "only runs with this status (running, waiting_for_approval, succeeded, failed, cancelled)")
		fl.StringVar(&f.TriggerValue, "trigger", "", "only runs triggered by this indicator value")
		fl.IntVar(&f.PageSize, "limit", 50, "at most this many runs")
		return cmd
	})
	registerSub("runs", func(g *Globals) *cobra.Command {
		return &cobra.Command{
			Use:   "show RUN",
			Short: "Show a run's record: every step's status, input, output, error, attempts and times",
			Args:  Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withEngine(cmd, g, func(ctx context.Context, c *engine.Client) error {
					r, err := c.Get(ctx, args[0])
					if err != nil {
						return err
					}
					if g.Format == "json" {
						return writeJSON(g.Stdout, r)
					}
					printRun(g.Stdout, r)
					return nil
				})
			},
		}
	})
	decide := func(approve bool) func(g *Globals) *cobra.Command {
		verb := "reject"
		if approve {
			verb = "approve"
		}
		return func(g *Globals) *cobra.Command {
			var by, org, comment string
			var roles []string
			cmd := &cobra.Command{
				Use:   verb + " RUN STEP --as USER --org ORG",
				Short: strings.ToUpper(verb[:1]) + verb[1:] + " a run's approval step",
				Args:  Args(cobra.ExactArgs(2)),
				RunE: func(cmd *cobra.Command, args []string) error {
					if by == "" || org == "" {
						return UsageError(fmt.Errorf("%s: --as USER and --org ORG are required: who decides", verb))
					}
					return withEngine(cmd, g, func(ctx context.Context, c *engine.Client) error {
						ar, err := c.Decide(ctx, args[0], engine.Decision{StepID: args[1], Approve: approve,
							By: by, Roles: roles, Org: org, Comment: comment})
						if err != nil {
							return err
						}
						if g.Format == "json" {
							return writeJSON(g.Stdout, ar)
						}
						fmt.Fprintf(g.Stdout, "step %s of %s %s by %s\n", args[1], args[0], ar.Decision, ar.By)
						return nil
					})
				},
			}
			fl := cmd.Flags()
			fl.StringVar(&by, "as", "", "the user deciding")
			fl.StringSliceVar(&roles, "role", nil, "the user's roles (repeatable)")
			fl.StringVar(&org, "org", "", "the user's organisation")
			fl.StringVar(&comment, "comment", "", "why")
			return cmd
		}
	}
	registerSub("runs", decide(true))
	registerSub("runs", decide(false))
	registerSub("runs", func(g *Globals) *cobra.Command {
		return &cobra.Command{
			Use:   "cancel RUN",
			Short: "Cancel a run: steps in flight are cancelled and it ends cancelled",
			Args:  Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withEngine(cmd, g, func(ctx context.Context, c *engine.Client) error {
					if err := c.Cancel(ctx, args[0]); err != nil {
						return err
					}
					fmt.Fprintf(g.Stdout, "cancel requested for %s\n", args[0])
					return nil
				})
			},
		}
	})
	registerSub("runs", func(g *Globals) *cobra.Command {
		var from string
		cmd := &cobra.Command{
			Use:   "retry RUN [--from STEP]",
			Short: "Run an ended run again from a step, reusing the outputs of the steps before it",
			Args:  Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withEngine(cmd, g, func(ctx context.Context, c *engine.Client) error {
					id, err := c.Retry(ctx, args[0], from)
					if err != nil {
						return err
					}
					fmt.Fprintf(g.Stdout, "started %s\n", id)
					return nil
				})
			},
		}
		cmd.Flags().StringVar(&from, "from", "", "the top-level step to run again from (default: the first that failed)")
		return cmd
	})
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func compact(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// printRun writes a run record as text.
func printRun(w io.Writer, r *engine.Run) {
	fmt.Fprintf(w, "run       %s\n", r.ID)
	fmt.Fprintf(w, "playbook  %s@%d (org %s, priority %d)\n", r.Playbook, r.Version, r.Org, r.Priority)
	fmt.Fprintf(w, "status    %s\n", r.Status)
	if r.Error != "" {
		fmt.Fprintf(w, "error     %s\n", r.Error)
	}
	if r.RetryOf != "" {
		fmt.Fprintf(w, "retry of  %s\n", r.RetryOf)
	}
	fmt.Fprintf(w, "started   %s\n", r.StartedAt.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "ended     %s\n", fmtTime(r.EndedAt))
	fmt.Fprintln(w, "steps:")
	for _, s := range r.Steps {
		indent := "  "
		if s.Parent != "" {
			indent = "    "
		}
		line := fmt.Sprintf("%s%s (%s): %s", indent, s.ID, s.Kind, s.Status)
		if s.Attempts > 1 {
			line += fmt.Sprintf(", %d attempts", s.Attempts)
		}
		if s.Reused {
			line += ", reused"
		}
		fmt.Fprintln(w, line)
		if s.Input != nil {
			fmt.Fprintf(w, "%s  input:  %s\n", indent, compact(s.Input))
		}
		if s.Output != nil {
			fmt.Fprintf(w, "%s  output: %s\n", indent, compact(s.Output))
		}
		if s.Error != "" {
			fmt.Fprintf(w, "%s  error:  %s\n", indent, s.Error)
		}
		if a := s.Approval; a != nil {
			fmt.Fprintf(w, "%s  approval: %q by %s", indent, a.Message, strings.Join(a.Approvers, ", "))
			if a.Decision != "" {
				fmt.Fprintf(w, "; %s", a.Decision)
				if a.By != "" {
					fmt.Fprintf(w, " by %s (%s)", a.By, a.Org)
				}
				if a.Comment != "" {
					fmt.Fprintf(w, ": %q", a.Comment)
				}
				fmt.Fprintf(w, " at %s", fmtTime(a.At))
			}
			fmt.Fprintln(w)
		}
	}
}
