package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/server"
	"github.com/rampartsec/rampart/server/client"
)

// DefaultServer is the API a CLI command talks to when neither --server nor RAMPART_SERVER
// names one: where `rampart serve` listens by default.
const DefaultServer = "http://127.0.0.1:8080"

// indicatorFlags are the report fields `indicator add` and `indicator import` share; on
// import they are the defaults of every line.
type indicatorFlags struct {
	typ, tlp, scope, attribution, description, expires string
	confidence, threatRating                           int
	tags, groups                                       []string
}

func (f *indicatorFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.typ, "type", "", "indicator type (ipv4, domain, url, sha256, …); inferred when empty")
	fl.StringVar(&f.tlp, "tlp", "", "TLP 2.0 label: clear, green, amber (default), amber+strict, red")
	fl.StringVar(&f.scope, "scope", "", "sharing scope: owner, groups, community (default)")
	fl.StringSliceVar(&f.groups, "group", nil, "sharing group id (with --scope groups); repeatable")
	fl.StringVar(&f.attribution, "attribution", "", "attributed (default), pseudonymous or anonymous")
	fl.IntVar(&f.confidence, "confidence", -1, "confidence 0..100 (default 50)")
	fl.IntVar(&f.threatRating, "threat-rating", -1, "threat rating 0..5 (default 0)")
	fl.StringSliceVar(&f.tags, "tag", nil, "tag; repeatable or comma-separated")
	fl.StringVar(&f.description, "description", "", "free text")
	fl.StringVar(&f.expires, "expires", "", "expiry, RFC 3339 (2026-12-31T00:00:00Z)")
}

// input builds the report of value from the flags.
func (f *indicatorFlags) input(value string) (intel.Input, error) {
	in := intel.Input{Type: intel.Type(f.typ), Value: value, TLP: intel.TLP(f.tlp), Scope: intel.Scope(f.scope),
		Groups: f.groups, Attribution: intel.Attribution(f.attribution), Tags: f.tags, Description: f.description}
	if f.confidence >= 0 {
		c := f.confidence
		in.Confidence = &c
	}
	if f.threatRating >= 0 {
		r := f.threatRating
		in.ThreatRating = &r
	}
	if f.expires != "" {
		t, err := parseTime(f.expires)
		if err != nil {
			return in, UsageError(fmt.Errorf("--expires %q: want RFC 3339, for example 2026-12-31T00:00:00Z", f.expires))
		}
		in.ExpiresAt = t
	}
	return in, nil
}

// apiClient returns a client of the server the globals name, or a usage error when no
// token is set.
func apiClient(g *Globals) (*client.Client, error) {
	if g.Token == "" {
		return nil, UsageError(errors.New("RAMPART_TOKEN is not set: export the token `rampart serve` printed (admin token: …) or one from `rampart admin user add`"))
	}
	base := g.Server
	if base == "" {
		base = DefaultServer
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, UsageError(fmt.Errorf("--server %q: want a URL such as %s", base, DefaultServer))
	}
	return client.New(base, g.Token), nil
}

// printProblem prints a refused request's problem and its field errors.
func printProblem(g *Globals, err error) error {
	var p *server.Problem
	if !errors.As(err, &p) {
		return err
	}
	fmt.Fprintf(g.Stderr, "rampart: %s (%d): %s\n", p.Title, p.Status, p.Detail)
	for _, fe := range p.Errors {
		fmt.Fprintf(g.Stderr, "  %s: %s\n", fe.Pointer, fe.Detail)
	}
	return errSilent
}

func init() {
	registerSub("indicator", func(g *Globals) *cobra.Command {
		var f indicatorFlags
		cmd := &cobra.Command{
			Use:   "add VALUE",
			Short: "Report one indicator to a running server",
			Long: "Report one indicator to the server at --server (RAMPART_SERVER, default " + DefaultServer +
				") with the token in RAMPART_TOKEN. Defanged values (hxxp, [.]) are refanged; the type is inferred unless --type names it.",
			Example: "  RAMPART_TOKEN=… rampart indicator add 203.0.113.7 --confidence 90 --threat-rating 4 --tag c2",
			Args:    Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				in, err := f.input(args[0])
				if err != nil {
					return err
				}
				c, err := apiClient(g)
				if err != nil {
					return err
				}
				out, err := c.CreateIndicator(cmd.Context(), in)
				if err != nil {
					return printProblem(g, err)
				}
				if g.Format == "json" {
					enc := json.NewEncoder(g.Stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(out)
				}
				v := out.Indicator
				fmt.Fprintf(g.Stdout, "%s %s %s %s (tlp %s, confidence %d, threat rating %d)\n", out.Status, v.ID, v.Type, v.Value, v.TLP, v.Confidence, v.ThreatRating)
				if len(v.Warninglists) > 0 {
					fmt.Fprintf(g.Stdout, "warning: on warninglists %s: playbooks will not block it\n", strings.Join(v.Warninglists, ", "))
				}
				if out.Proof != "" {
					fmt.Fprintf(g.Stdout, "proof: %s\n(keep it: it alone lets you edit or withdraw this anonymous report)\n", out.Proof)
				}
				return nil
			},
		}
		f.register(cmd)
		return cmd
	})
	registerSub("indicator", func(g *Globals) *cobra.Command {
		var (
			f     indicatorFlags
			batch int
			quiet bool
		)
		cmd := &cobra.Command{
			Use:   "import FILE",
			Short: "Import indicators from a CSV file or a list of values (one a line)",
			Long: `Import indicators into a running server in bulk requests, with a progress bar and a
summary of the accepted and rejected lines. FILE ("-" for standard input) is either:

  - CSV with a header line naming its columns: value (required), type, tlp, scope,
    attribution, confidence, threat_rating, tags (separated by ; or |), description,
    first_seen, last_seen, expires_at; or
  - plain text: one value per line; blank lines and lines starting with # are skipped.

Flags give the defaults of every line; a CSV column overrides them. The exit status is 1
when any line was rejected.`,
			Args: Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				if batch < 1 || batch > server.MaxBulk {
					return UsageError(fmt.Errorf("--batch %d: want 1..%d", batch, server.MaxBulk))
				}
				if _, err := f.input("x"); err != nil {
					return err
				}
				c, err := apiClient(g)
				if err != nil {
					return err
				}
				in := os.Stdin
				if args[0] != "-" {
					file, err := os.Open(args[0])
					if err != nil {
						return fmt.Errorf("indicator import: %w", err)
					}
					defer file.Close()
					in = file
				}
				lines, err := readImport(in, args[0], &f)
				if err != nil {
					return err
				}
				return runImport(cmd.Context(), g, c, lines, batch, quiet)
			},
		}
		f.register(cmd)
		cmd.Flags().IntVar(&batch, "batch", 1000, "indicators per bulk request (at most 10,000)")
		cmd.Flags().BoolVar(&quiet, "quiet", false, "no progress bar")
		return cmd
	})
}

// runImport sends the lines in bulk requests and prints the summary.
func runImport(ctx context.Context, g *Globals, c *client.Client, lines []importLine, batch int, quiet bool) error {
	bar := newBar(g, len(lines), quiet)
	var rejected []string
	accepted := 0
	var pending []importLine
	for _, l := range lines {
		if l.err != nil {
			rejected = append(rejected, fmt.Sprintf("line %d: %v", l.line, l.err))
		} else {
			pending = append(pending, l)
		}
	}
	if n := len(lines) - len(pending); n > 0 {
		_ = bar.Add(n)
	}
	for start := 0; start < len(pending); start += batch {
		chunk := pending[start:min(start+batch, len(pending))]
		ins := make([]intel.Input, len(chunk))
		for i, l := range chunk {
			ins[i] = l.in
		}
		resp, err := c.BulkCreate(ctx, ins)
		if err != nil {
			_ = bar.Exit()
			fmt.Fprintf(g.Stderr, "\nrampart: import stopped after %d accepted lines\n", accepted)
			return printProblem(g, err)
		}
		accepted += resp.Accepted
		for _, it := range resp.Results {
			if it.Status != server.BulkRejected || it.Index < 0 || it.Index >= len(chunk) {
				continue
			}
			var why []string
			for _, fe := range it.Errors {
				why = append(why, fe.Detail)
			}
			rejected = append(rejected, fmt.Sprintf("line %d: %s: %s", chunk[it.Index].line, chunk[it.Index].in.Value, strings.Join(why, "; ")))
		}
		_ = bar.Add(len(chunk))
	}
	_ = bar.Finish()
	if g.Format == "json" {
		if err := json.NewEncoder(g.Stdout).Encode(map[string]any{"accepted": accepted, "rejected": len(rejected), "errors": nonNilStrings(rejected)}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(g.Stdout, "accepted %d, rejected %d\n", accepted, len(rejected))
		for _, r := range rejected {
			fmt.Fprintln(g.Stdout, "  "+r)
		}
	}
	if len(rejected) > 0 {
		return errSilent
	}
	return nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
