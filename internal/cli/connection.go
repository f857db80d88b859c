package cli

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/actions/schema"
	"github.com/rampartsec/rampart/intel/store"
)

// parsePairs reads repeated key=value flags; from is the flag name for messages (which never
// echo a value: it may be a secret).
func parsePairs(from string, pairs []string, into map[string]string) error {
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return UsageError(fmt.Errorf("--%s: write key=value", from))
		}
		if _, dup := into[k]; dup {
			return UsageError(fmt.Errorf("--%s: %s is given twice", from, k))
		}
		into[k] = v
	}
	return nil
}

// orgExists refuses a connection for an organisation the data directory's store does not
// know: it would be stored, yet no worker or playbook of any member could ever use it.
func orgExists(cmd *cobra.Command, g *Globals, org string) error {
	st, err := openStore(cmd, g)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.GetOrg(cmd.Context(), org); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("connection add: no organisation %q in %s: add it first (rampart admin org add %s)", org, g.Data, org)
	} else if err != nil {
		return fmt.Errorf("connection add: %w", err)
	}
	return nil
}

func init() {
	registerSub("connection", func(g *Globals) *cobra.Command {
		var org, plugin, backend string
		var sets, secretsKV, secretFiles []string
		var replace bool
		cmd := &cobra.Command{
			Use:   "add NAME",
			Short: "Add an organisation's named connection to a plugin backend",
			Long: "Fields the backend's connection schema marks secret (\"x-secret\": true), and every field given\n" +
				"with --secret or --secret-file, are encrypted at rest (AES-256-GCM; the key is RAMPART_SECRET_KEY or\n" +
				"DATA/secret.key) and never shown again. Prefer --secret-file: a command line is visible to other users.",
			Example: "  rampart connection add perimeter-fw --org acme --plugin firewall --backend opnsense \\\n" +
				"      --set url=https://fw.acme.example --set alias=rampart_block --set key=AbC --secret-file secret=/run/secrets/opnsense",
			Args: Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				if org == "" || plugin == "" || backend == "" {
					return UsageError(errors.New("connection add: --org, --plugin and --backend are required"))
				}
				plain, secret := map[string]string{}, map[string]string{}
				if err := parsePairs("set", sets, plain); err != nil {
					return err
				}
				if err := parsePairs("secret", secretsKV, secret); err != nil {
					return err
				}
				files := map[string]string{}
				if err := parsePairs("secret-file", secretFiles, files); err != nil {
					return err
				}
				for k, path := range files {
					if _, dup := secret[k]; dup {
						return UsageError(fmt.Errorf("--secret-file: %s is also given with --secret", k))
					}
					b, err := os.ReadFile(path)
					if err != nil {
						return fmt.Errorf("connection add: secret %s: %w", k, err)
					}
					secret[k] = strings.TrimRight(string(b), "\r\n")
				}
				if err := orgExists(cmd, g, org); err != nil {
					return err
				}
				m, err := openManager(cmd, g)
				if err != nil {
					return err
				}
				defer m.Close()
				p, err := m.Get(cmd.Context(), plugin)
				if err != nil {
					return err
				}
				var raw []byte
				if p != nil {
					for _, b := range p.Description.Backends {
						if b.Name == backend {
							raw = []byte(b.ConnectionSchema)
						}
					}
				}
				cfg, err := schema.Coerce(raw, plain)
				if err != nil {
					return fmt.Errorf("connection add: --set %w", err)
				}
				sec, err := schema.Coerce(raw, secret)
				if err != nil {
					return fmt.Errorf("connection add: --secret %w", err)
				}
				c, err := m.AddConnection(cmd.Context(), manager.NewConnection{Org: org, Name: args[0], Plugin: plugin,
					Backend: backend, Config: cfg, Secrets: sec, Replace: replace})
				if err != nil {
					return err
				}
				if g.Format == "json" {
					return printJSON(g, c)
				}
				fmt.Fprintf(g.Stdout, "connection %s/%s added (%s %s", c.Org, c.Name, c.Plugin, c.Backend)
				if len(c.SecretFields) > 0 {
					fmt.Fprintf(g.Stdout, "; encrypted: %s", strings.Join(c.SecretFields, ", "))
				}
				fmt.Fprintln(g.Stdout, ")")
				return nil
			},
		}
		f := cmd.Flags()
		f.StringVar(&org, "org", "", "the organisation that owns the connection (required)")
		f.StringVar(&plugin, "plugin", "", "the plugin, as in `rampart plugin list` (required)")
		f.StringVar(&backend, "backend", "", "the plugin's backend (required; see `rampart plugin describe`)")
		f.StringArrayVar(&sets, "set", nil, "a config field, key=value (repeatable)")
		f.StringArrayVar(&secretsKV, "secret", nil, "a secret field, key=value (repeatable)")
		f.StringArrayVar(&secretFiles, "secret-file", nil, "a secret field read from a file, key=path (repeatable)")
		f.BoolVar(&replace, "replace", false, "replace a connection of that name")
		return cmd
	})
	registerSub("connection", func(g *Globals) *cobra.Command {
		var org string
		cmd := &cobra.Command{
			Use: "list", Short: "List connections (secret fields are named, never shown)", Args: Args(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				m, err := openManager(cmd, g)
				if err != nil {
					return err
				}
				defer m.Close()
				cs, err := m.ListConnections(cmd.Context(), org)
				if err != nil {
					return err
				}
				if g.Format == "json" {
					if cs == nil {
						cs = []*manager.Connection{}
					}
					return printJSON(g, cs)
				}
				tw := newTable(g.Stdout)
				fmt.Fprintln(tw, "ORG\tNAME\tPLUGIN\tBACKEND\tCONFIG\tSECRETS")
				for _, c := range cs {
					keys := make([]string, 0, len(c.Config))
					for k := range c.Config {
						keys = append(keys, k)
					}
					sort.Strings(keys)
					var kv []string
					for _, k := range keys {
						kv = append(kv, fmt.Sprintf("%s=%v", k, c.Config[k]))
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Org, c.Name, c.Plugin, c.Backend, strings.Join(kv, " "), strings.Join(c.SecretFields, ","))
				}
				return tw.Flush()
			},
		}
		cmd.Flags().StringVar(&org, "org", "", "only this organisation's")
		return cmd
	})
	registerSub("connection", func(g *Globals) *cobra.Command {
		var org string
		cmd := &cobra.Command{
			Use: "check NAME", Short: "Test a connection with the plugin's CheckConnection", Args: Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				if org == "" {
					return UsageError(errors.New("connection check: --org is required"))
				}
				m, err := openManager(cmd, g)
				if err != nil {
					return err
				}
				defer m.Close()
				detail, err := m.CheckConnection(cmd.Context(), org, args[0])
				if g.Format == "json" {
					res := map[string]any{"org": org, "name": args[0], "ok": err == nil, "detail": detail}
					if err != nil {
						e := actions.AsError(err)
						res["error"] = map[string]any{"code": e.Code, "message": e.Message, "retryable": e.Retryable}
					}
					if jerr := printJSON(g, res); jerr != nil {
						return jerr
					}
					if err != nil {
						return errSilent
					}
					return nil
				}
				if err != nil {
					return fmt.Errorf("connection %s/%s failed its check: %w", org, args[0], err)
				}
				fmt.Fprintf(g.Stdout, "connection %s/%s ok: %s\n", org, args[0], detail)
				return nil
			},
		}
		cmd.Flags().StringVar(&org, "org", "", "the organisation that owns it (required)")
		return cmd
	})
	registerSub("connection", func(g *Globals) *cobra.Command {
		var org string
		cmd := &cobra.Command{
			Use: "remove NAME", Short: "Remove a connection and its encrypted secrets", Args: Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				if org == "" {
					return UsageError(errors.New("connection remove: --org is required"))
				}
				m, err := openManager(cmd, g)
				if err != nil {
					return err
				}
				defer m.Close()
				if err := m.RemoveConnection(cmd.Context(), org, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(g.Stdout, "connection %s/%s removed\n", org, args[0])
				return nil
			},
		}
		cmd.Flags().StringVar(&org, "org", "", "the organisation that owns it (required)")
		return cmd
	})
}
