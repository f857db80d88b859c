package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/actions/schema"
)

// The plugin and connection commands work on the local data directory (--data): installing
// is an administrator's act on the machine that holds the data (the API enforces the role
// for remote installs).

func openManager(cmd *cobra.Command, g *Globals) (*manager.Manager, error) {
	m, err := manager.Open(cmd.Context(), g.Data, manager.Options{
		Logger:       slog.New(slog.NewTextHandler(g.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		PluginOutput: g.Stderr,
	})
	if err != nil {
		return nil, fmt.Errorf("open plugins in %s: %w", g.Data, err)
	}
	return m, nil
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

func actionNames(p *manager.Plugin) string {
	var names []string
	for _, a := range p.Description.Actions {
		names = append(names, a.Name)
	}
	return strings.Join(names, ",")
}

func backendNames(p *manager.Plugin) string {
	var names []string
	for _, b := range p.Description.Backends {
		names = append(names, b.Name)
	}
	return strings.Join(names, ",")
}

func init() {
	registerSub("plugin", func(g *Globals) *cobra.Command {
		return &cobra.Command{
			Use:   "install PATH|DIR",
			Short: "Install a plugin binary, or every rampart-plugin-* executable in a directory",
			Long: "Install runs the plugin's Describe, records its name, version, SHA-256, actions and schemas,\n" +
				"and copies the binary into DATA/plugins/. Every later launch verifies the checksum: a binary\n" +
				"changed after install does not run until it is installed again.",
			Example: "  rampart plugin install bin/rampart-plugin-firewall\n  rampart plugin install bin/",
			Args:    Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				m, err := openManager(cmd, g)
				if err != nil {
					return err
				}
				defer m.Close()
				ps, err := m.Install(cmd.Context(), args[0])
				for _, p := range ps {
					if g.Format == "text" {
						fmt.Fprintf(g.Stdout, "installed %s %s (sha256 %s): %s\n", p.Name, p.Version, p.SHA256[:12], actionNames(p))
					}
				}
				if g.Format == "json" && len(ps) > 0 {
					if jerr := printJSON(g, ps); jerr != nil {
						return jerr
					}
				}
				return err
			},
		}
	})
	registerSub("plugin", func(g *Globals) *cobra.Command {
		return &cobra.Command{
			Use: "list", Short: "List installed plugins", Args: Args(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				m, err := openManager(cmd, g)
				if err != nil {
					return err
				}
				defer m.Close()
				ps, err := m.List(cmd.Context())
				if err != nil {
					return err
				}
				if g.Format == "json" {
					if ps == nil {
						ps = []*manager.Plugin{}
					}
					return printJSON(g, ps)
				}
				tw := newTable(g.Stdout)
				fmt.Fprintln(tw, "NAME\tVERSION\tBACKENDS\tACTIONS\tSHA256")
				for _, p := range ps {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, p.Version, backendNames(p), actionNames(p), p.SHA256[:12])
				}
				return tw.Flush()
			},
		}
	})
	registerSub("plugin", func(g *Globals) *cobra.Command {
		return &cobra.Command{
			Use: "remove NAME", Short: "Uninstall a plugin no connection uses", Args: Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				m, err := openManager(cmd, g)
				if err != nil {
					return err
				}
				defer m.Close()
				if err := m.Remove(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(g.Stdout, "removed %s\n", args[0])
				return nil
			},
		}
	})
	registerSub("plugin", func(g *Globals) *cobra.Command {
		return &cobra.Command{
			Use: "describe NAME", Short: "Show a plugin's backends, connection fields and actions with their schemas",
			Args: Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				m, err := openManager(cmd, g)
				if err != nil {
					return err
				}
				defer m.Close()
				p, err := m.Get(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if p == nil {
					return fmt.Errorf("describe %s: no such plugin is installed (rampart plugin list)", args[0])
				}
				if g.Format == "json" {
					return printJSON(g, p)
				}
				return describePlugin(g.Stdout, p)
			},
		}
	})
}

func describePlugin(w io.Writer, p *manager.Plugin) error {
	d := p.Description
	fmt.Fprintf(w, "%s %s\n%s\nsha256 %s\n", p.Name, p.Version, d.Description, p.SHA256)
	for _, b := range d.Backends {
		fmt.Fprintf(w, "\nbackend %s: %s\n", b.Name, b.Description)
		fields, err := schemaFields([]byte(b.ConnectionSchema))
		if err != nil {
			return err
		}
		for _, f := range fields {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
	for _, a := range d.Actions {
		var flags []string
		if a.NeedsConnection {
			flags = append(flags, "needs a connection")
		}
		if a.Idempotent {
			flags = append(flags, "idempotent")
		}
		if a.Batch {
			flags = append(flags, "batch")
		}
		fmt.Fprintf(w, "\naction %s/%s: %s", p.Name, a.Name, a.Description)
		if len(flags) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(flags, ", "))
		}
		fmt.Fprintln(w)
		fields, err := schemaFields([]byte(a.Input))
		if err != nil {
			return err
		}
		for _, f := range fields {
			fmt.Fprintf(w, "  with.%s\n", f)
		}
	}
	return nil
}

// schemaFields lists an object schema's top-level properties as "name type [required]
// [secret]: description" lines, sorted by name.
func schemaFields(raw []byte) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var s struct {
		Required   []string `json:"required"`
		Properties map[string]struct {
			Type        any    `json:"type"`
			Enum        []any  `json:"enum"`
			Description string `json:"description"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("describe: schema: %w", err)
	}
	secret, err := schema.SecretFields(raw)
	if err != nil {
		return nil, err
	}
	req := map[string]bool{}
	for _, r := range s.Required {
		req[r] = true
	}
	sec := map[string]bool{}
	for _, r := range secret {
		sec[r] = true
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		p := s.Properties[n]
		typ := fmt.Sprint(p.Type)
		if p.Type == nil && len(p.Enum) > 0 {
			var vs []string
			for _, v := range p.Enum {
				vs = append(vs, fmt.Sprint(v))
			}
			typ = strings.Join(vs, "|")
		} else if p.Type == nil {
			typ = "any"
		}
		line := n + " " + typ
		if req[n] {
			line += " required"
		}
		if sec[n] {
			line += " secret"
		}
		if p.Description != "" {
			line += ": " + p.Description
		}
		out = append(out, line)
	}
	return out, nil
}
