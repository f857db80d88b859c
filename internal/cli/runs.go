package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
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
	"github.com/rampartsec/rampart/server"
	"github.com/rampartsec/rampart/server/client"
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

// runsModes is the part of every runs subcommand's help that says how it reaches the runs.
const runsModes = `With RAMPART_TOKEN set (or a server named by --server or RAMPART_SERVER) the command goes
through the API of that server (default ` + DefaultServer + `): the token decides who you are,
your organisation and your roles, the API's role checks and organisation scoping apply, and
--as, --org, --role and --data are refused.

Without a token the command acts as the operator directly on the Temporal server of the data
directory (--data) or the configured cluster: whoever can read the data directory controls
the server anyway. Commands that change a run say so on stderr.`

// runsViaAPI reports whether the runs subcommands go through the API: whenever a token is set
// or a server is named.
//
// Through the API the token decides who you are, your organisation and your roles, and the
// API's checks apply: run:approve to decide, cancel and retry, the organisation's scope
// (another organisation's runs are 404s) and the run's own approvers. The flags that would
// claim an identity (--as, --org, --role) are refused there, and so is --data, which names
// what this mode does not use: usage errors, exit status 2. This is how st2 or Tracecat's CLI
// work: the CLI is one more client of the API.
//
// Without a token or a server the commands act as the operator, directly on the Temporal
// server of the data directory (or the configured cluster), as they always have; approve and
// reject take the decider from --as and --org (required) and --role, and the run's approvers
// still check those. The API's checks are not in the way there because they could not be:
// whoever can read the data directory can open its databases and reach its Temporal server:
// they control the server anyway. The commands that change a run say on stderr that they act
// as the operator. docs/operations.md ("Runs from the command line") has the same.
func runsViaAPI(g *Globals) bool { return g.Token != "" || g.Server != "" }

// runsBackend is what the runs subcommands need of the runs: the engine itself (localRuns)
// or the API (apiRuns). Both answer with the engine's types, so that the output is the same.
type runsBackend interface {
	List(ctx context.Context, f engine.Filter) ([]engine.Summary, error)
	Get(ctx context.Context, id string) (*engine.Run, error)
	Decide(ctx context.Context, id string, d engine.Decision) (*engine.ApprovalRecord, error)
	Cancel(ctx context.Context, id string) error
	Retry(ctx context.Context, id, fromStep string) (string, error)
}

// localRuns is the operator's way: the engine client, on the data directory's Temporal server.
type localRuns struct{ c *engine.Client }

func (l localRuns) List(ctx context.Context, f engine.Filter) ([]engine.Summary, error) {
	runs, _, err := l.c.List(ctx, f, nil)
	return runs, err
}

func (l localRuns) Get(ctx context.Context, id string) (*engine.Run, error) { return l.c.Get(ctx, id) }

func (l localRuns) Decide(ctx context.Context, id string, d engine.Decision) (*engine.ApprovalRecord, error) {
	return l.c.Decide(ctx, id, d)
}

func (l localRuns) Cancel(ctx context.Context, id string) error { return l.c.Cancel(ctx, id) }

func (l localRuns) Retry(ctx context.Context, id, from string) (string, error) {
	return l.c.Retry(ctx, id, from)
}

// apiRuns goes through the API's run routes; the server takes the organisation and the
// decider from the token.
type apiRuns struct{ c *client.Client }

func (a apiRuns) List(ctx context.Context, f engine.Filter) ([]engine.Summary, error) {
	q := url.Values{}
	for k, v := range map[string]string{"playbook": f.Playbook, "status": f.Status, "value": f.TriggerValue} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.PageSize > 0 {
		q.Set("limit", strconv.Itoa(f.PageSize))
	}
	path := "/api/v1/runs"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var page server.Page[engine.Summary]
	if err := a.c.Do(ctx, "GET", path, nil, &page); err != nil {
		return nil, err
	}
	if page.Items == nil {
		page.Items = []engine.Summary{}
	}
	return page.Items, nil
}

func (a apiRuns) Get(ctx context.Context, id string) (*engine.Run, error) {
	var r engine.Run
	if err := a.c.Do(ctx, "GET", server.RunPath(id), nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Decide sends the step and the comment only: the server fills in who decides.
func (a apiRuns) Decide(ctx context.Context, id string, d engine.Decision) (*engine.ApprovalRecord, error) {
	verb := "reject"
	if d.Approve {
		verb = "approve"
	}
	var ar engine.ApprovalRecord
	if err := a.c.Do(ctx, "POST", server.RunPath(id)+"/"+verb, server.DecisionRequest{Step: d.StepID, Comment: d.Comment}, &ar); err != nil {
		return nil, err
	}
	return &ar, nil
}

func (a apiRuns) Cancel(ctx context.Context, id string) error {
	return a.c.Do(ctx, "POST", server.RunPath(id)+"/cancel", nil, nil)
}

func (a apiRuns) Retry(ctx context.Context, id, from string) (string, error) {
	var out server.RetryStarted
	if err := a.c.Do(ctx, "POST", server.RunPath(id)+"/retry", server.RetryRequest{FromStep: from}, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}

// runsOp describes a runs subcommand for withRuns.
type runsOp struct {
	name      string   // "runs approve", for messages
	localOnly []string // flags only the operator's mode takes: through the API the token decides
	changes   bool     // it changes a run: the operator's mode says whom it acts as
}

// withRuns runs fn with the backend the command line chooses (see runsViaAPI). Through the
// API a refused request's problem is printed (exit status 1).
func withRuns(cmd *cobra.Command, g *Globals, op runsOp, fn func(ctx context.Context, b runsBackend) error) error {
	if !runsViaAPI(g) {
		if op.changes {
			fmt.Fprintln(g.Stderr, "rampart: note: RAMPART_TOKEN is not set: acting as the operator, directly on the data directory's Temporal server (the API's role checks do not apply)")
		}
		return withEngine(cmd, g, func(ctx context.Context, c *engine.Client) error { return fn(ctx, localRuns{c}) })
	}
	var given []string
	for _, name := range append([]string{"data"}, op.localOnly...) {
		if f := cmd.Flag(name); f != nil && f.Changed {
			given = append(given, "--"+name)
		}
	}
	if len(given) > 0 {
		return UsageError(fmt.Errorf("%s: %s refused: RAMPART_TOKEN or a server (--server, RAMPART_SERVER) is set, so the command goes through the API, "+
			"where the token decides who you are, your organisation and your roles, and no data directory is opened; "+
			"drop the flag, or unset RAMPART_TOKEN and RAMPART_SERVER to act as the operator on a data directory",
			op.name, strings.Join(given, ", ")))
	}
	if g.Token == "" {
		return UsageError(fmt.Errorf("%s: --server (or RAMPART_SERVER) names a server but RAMPART_TOKEN is not set: export a token to go through its API, "+
			"or unset RAMPART_SERVER to act as the operator on the data directory", op.name))
	}
	c, err := apiClient(g)
	if err != nil {
		return err
	}
	if err := fn(cmd.Context(), apiRuns{c}); err != nil {
		return printProblem(g, err)
	}
	return nil
}

func init() {
	registerSub("runs", func(g *Globals) *cobra.Command {
		var f engine.Filter
		cmd := &cobra.Command{
			Use:   "list",
			Short: "List playbook runs, newest first",
			Long:  "List playbook runs, newest first: your organisation's through the API, every organisation's (or --org's) as the operator.\n\n" + runsModes,
			Args:  Args(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				if f.PageSize < 1 || f.PageSize > 1000 {
					return UsageError(fmt.Errorf("--limit %d: want 1 to 1000", f.PageSize))
				}
				return withRuns(cmd, g, runsOp{name: "runs list", localOnly: []string{"org"}}, func(ctx context.Context, b runsBackend) error {
					runs, err := b.List(ctx, f)
					if err != nil {
						return err
					}
					return printRuns(g, runs)
				})
			},
		}
		fl := cmd.Flags()
		fl.StringVar(&f.Org, "org", "", "only this organisation's runs (operator mode only: through the API, the token's organisation)")
		fl.StringVar(&f.Playbook, "playbook", "", "only this playbook's runs")
		fl.StringVar(&f.Status, "status", "", "only runs with this status (running, waiting_for_approval, succeeded, failed, cancelled)")
		fl.StringVar(&f.TriggerValue, "trigger", "", "only runs triggered by this indicator value")
		fl.IntVar(&f.PageSize, "limit", 50, "at most this many runs (1 to 1000)")
		return cmd
	})
	registerSub("runs", func(g *Globals) *cobra.Command {
		return &cobra.Command{
			Use:   "show RUN",
			Short: "Show a run's record: every step's status, input, output, error, attempts and times",
			Long:  "Show a run's record: every step's status, input, output, error, attempts and times.\n\n" + runsModes,
			Args:  Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withRuns(cmd, g, runsOp{name: "runs show"}, func(ctx context.Context, b runsBackend) error {
					r, err := b.Get(ctx, args[0])
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
				Use:   verb + " RUN STEP [--comment TEXT]",
				Short: strings.ToUpper(verb[:1]) + verb[1:] + " a run's approval step",
				Long: strings.ToUpper(verb[:1]) + verb[1:] + ` a run's waiting approval step. The playbook's approvers decide who may.

Through the API (RAMPART_TOKEN) you decide as the token's user, with its organisation and
roles, and need the run:approve permission; --as, --org and --role are refused. As the
operator (no token) --as USER and --org ORG (and --role R for role:R approvers) say who
decides, and the run's approvers check that.

` + runsModes,
				Example: "  export RAMPART_TOKEN=rmp_…   # yours, from rampart admin user add\n" +
					"  rampart runs " + verb + " 'acme/block-c2@3/ev-42' ok --comment \"checked\"\n" +
					"  rampart runs " + verb + " 'acme/block-c2@3/ev-42' ok --as alice --org acme --role analyst   # operator, no token",
				Args: Args(cobra.ExactArgs(2)),
				RunE: func(cmd *cobra.Command, args []string) error {
					if !runsViaAPI(g) && (by == "" || org == "") {
						return UsageError(fmt.Errorf("runs %s: --as USER and --org ORG are required: who decides (or set RAMPART_TOKEN to decide as the token's user through the API)", verb))
					}
					op := runsOp{name: "runs " + verb, localOnly: []string{"as", "org", "role"}, changes: true}
					return withRuns(cmd, g, op, func(ctx context.Context, b runsBackend) error {
						ar, err := b.Decide(ctx, args[0], engine.Decision{StepID: args[1], Approve: approve,
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
			fl.StringVar(&by, "as", "", "the user deciding (operator mode only: through the API, the token's user)")
			fl.StringSliceVar(&roles, "role", nil, "the user's roles, repeatable (operator mode only)")
			fl.StringVar(&org, "org", "", "the user's organisation (operator mode only)")
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
			Long:  "Cancel a run: steps in flight are cancelled and it ends cancelled. Through the API it needs the run:approve permission.\n\n" + runsModes,
			Args:  Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withRuns(cmd, g, runsOp{name: "runs cancel", changes: true}, func(ctx context.Context, b runsBackend) error {
					if err := b.Cancel(ctx, args[0]); err != nil {
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
			Long:  "Run an ended run again from a step, reusing the outputs of the steps before it. Through the API it needs the run:approve permission.\n\n" + runsModes,
			Args:  Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withRuns(cmd, g, runsOp{name: "runs retry", changes: true}, func(ctx context.Context, b runsBackend) error {
					id, err := b.Retry(ctx, args[0], from)
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

// printRuns writes a run list as a table, or as JSON with --format json.
func printRuns(g *Globals, runs []engine.Summary) error {
	if g.Format == "json" {
		if runs == nil {
			runs = []engine.Summary{}
		}
		return writeJSON(g.Stdout, runs)
	}
	tw := tabwriter.NewWriter(g.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTATUS\tTRIGGER\tSTARTED\tENDED")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, dash(r.Trigger), r.StartedAt, dash(r.EndedAt))
	}
	return tw.Flush()
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
