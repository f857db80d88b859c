package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/playbooks"
)

func init() {
	registerSub("playbook", func(g *Globals) *cobra.Command {
		var (
			indicator string
			inputs    []string
			org       string
			version   int64
			detach    bool
		)
		cmd := &cobra.Command{
			Use:   "run FILE [--indicator TYPE:VALUE] [--input k=v]...",
			Short: "Start a run of a playbook file and follow it step by step until it ends",
			Long: `Start a run of the playbook in FILE on the Temporal server of the data directory (the one
a running rampart serve owns, or an embedded one this command starts) or the configured
cluster, and print each step as it changes until the run ends. A playbook that fails lint is
not started: its diagnostics are printed. Exits 1 when the run fails.

When this command starts the server itself it also runs the worker, which performs only the
built-in core/* actions; run plugin actions through rampart serve.`,
			Example: `  rampart playbook run examples/playbooks/block-c2-ips.yaml --indicator ipv4:203.0.113.7 --org acme
  rampart playbook run triage.yaml --input case=42 --input urgent=true`,
			Args: Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				trig, err := runTrigger(indicator, inputs)
				if err != nil {
					return UsageError(err)
				}
				src, err := os.ReadFile(args[0])
				if err != nil {
					return fmt.Errorf("playbook run: %w", err)
				}
				pb, ds := playbooks.Compile(args[0], src, playbooks.Options{})
				if ds.HasErrors() {
					fmt.Fprintln(g.Stderr, ds.Error())
					return errSilent
				}
				ctx, stop := signalContext(cmd.Context())
				defer stop()
				conn, err := connectEngine(ctx, cmd, g, org)
				if err != nil {
					return err
				}
				defer conn.Close()
				id, started, err := conn.client.Start(ctx, engine.StartRequest{Org: org, PlaybookName: pb.Name,
					Version: version, File: filepath.Base(args[0]), Source: src, Trigger: trig, Priority: -1})
				var le *engine.LintError
				if errors.As(err, &le) {
					fmt.Fprintln(g.Stderr, le.Diagnostics.Error())
					return errSilent
				}
				if err != nil {
					return err
				}
				if !started {
					fmt.Fprintf(g.Stdout, "run %s already exists\n", id)
				} else {
					fmt.Fprintf(g.Stdout, "started %s\n", id)
				}
				if detach {
					return nil
				}
				r, err := follow(ctx, g, conn.client, id)
				if err != nil {
					return err
				}
				if g.Format == "json" {
					return writeJSON(g.Stdout, r)
				}
				fmt.Fprintf(g.Stdout, "run %s %s", id, r.Status)
				if r.Error != "" {
					fmt.Fprintf(g.Stdout, ": %s", r.Error)
				}
				fmt.Fprintln(g.Stdout)
				if r.Status != engine.RunSucceeded {
					return errSilent
				}
				return nil
			},
		}
		fl := cmd.Flags()
		fl.StringVar(&indicator, "indicator", "", "trigger indicator as TYPE:VALUE (ipv4:203.0.113.7)")
		fl.StringArrayVar(&inputs, "input", nil, "an input as name=value (repeatable; numbers and true/false are typed)")
		fl.StringVar(&org, "org", "local", "the organisation the run belongs to")
		fl.Int64Var(&version, "version", 0, "the playbook version recorded in the run ID")
		fl.BoolVar(&detach, "detach", false, "start the run and return without following it")
		return cmd
	})
}

// runTrigger builds a manual run's trigger. The event id is random: each invocation is a new
// trigger (a deterministic ID would make a second `playbook run` a duplicate).
func runTrigger(indicator string, inputs []string) (engine.Trigger, error) {
	var b [8]byte
	rand.Read(b[:])
	t := engine.Trigger{Event: &playbooks.Event{ID: "manual-" + hex.EncodeToString(b[:]), Kind: "manual"}}
	if indicator != "" {
		typ, val, ok := strings.Cut(indicator, ":")
		if !ok || typ == "" || val == "" {
			return t, fmt.Errorf("--indicator %q: write TYPE:VALUE, for example ipv4:203.0.113.7", indicator)
		}
		now := time.Now().UTC()
		t.Indicator = &playbooks.Indicator{ID: "cli-" + hex.EncodeToString(b[:4]), Type: typ, Value: val, TLP: "clear",
			Confidence: 100, Source: "member", Attribution: "attributed", FirstSeen: now, LastSeen: now, Reporters: 1}
		t.Event.Kind = "indicator.created"
	}
	for _, kv := range inputs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return t, fmt.Errorf("--input %q: write name=value", kv)
		}
		if t.Inputs == nil {
			t.Inputs = map[string]any{}
		}
		t.Inputs[k] = typedInput(v)
	}
	return t, nil
}

func typedInput(v string) any {
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f
	}
	if b, err := strconv.ParseBool(v); err == nil {
		return b
	}
	return v
}

// follow prints each step as its status changes until the run ends.
func follow(ctx context.Context, g *Globals, c *engine.Client, id string) (*engine.Run, error) {
	seen := map[string]string{}
	for {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		r, err := c.Get(qctx, id)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("playbook run: stopped following %s (the run goes on; see rampart runs show)", id)
			}
			return nil, err
		}
		if g.Format != "json" {
			for _, s := range r.Steps {
				if seen[s.ID] == s.Status || s.Status == playbooks.StatusPending {
					continue
				}
				seen[s.ID] = s.Status
				line := fmt.Sprintf("  %-20s %s", s.ID, s.Status)
				switch {
				case s.Status == playbooks.StatusWaiting && s.Approval != nil:
					line += fmt.Sprintf(": %q — rampart runs approve %s %s --as USER --org ORG", s.Approval.Message, id, s.ID)
				case s.Error != "":
					line += ": " + s.Error
				case s.Output != nil && s.Status == playbooks.StatusSucceeded:
					line += " " + compact(s.Output)
				}
				fmt.Fprintln(g.Stdout, line)
			}
		}
		if r.Done() {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("playbook run: stopped following %s (the run goes on; see rampart runs show)", id)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
