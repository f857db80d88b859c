package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/store"
)

// The admin commands work on the local data directory (--data): they open the store
// directly, beside a running `rampart serve` if there is one (SQLite in WAL mode allows it).

func openStore(cmd *cobra.Command, g *Globals) (*store.Store, error) {
	st, err := store.OpenDir(cmd.Context(), g.Data)
	if err != nil {
		return nil, fmt.Errorf("open the store in %s: %w", g.Data, err)
	}
	return st, nil
}

func printJSON(g *Globals, v any) error {
	enc := json.NewEncoder(g.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func init() {
	registerSub("admin", func(g *Globals) *cobra.Command {
		org := &cobra.Command{Use: "org", Short: "Add and list member organisations", Args: Args(cobra.NoArgs),
			RunE: func(*cobra.Command, []string) error {
				return UsageError(fmt.Errorf("org: name a subcommand: add or list"))
			}}
		var name string
		add := &cobra.Command{
			Use:     "add ID",
			Short:   "Add a member organisation (ID: lower-case letters, digits, hyphens)",
			Example: "  rampart admin org add acme --name \"ACME Corp\"",
			Args:    Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				if !store.ValidSlug(args[0]) {
					return UsageError(fmt.Errorf("organisation id %q: use 1-63 lower-case letters, digits and hyphens", args[0]))
				}
				st, err := openStore(cmd, g)
				if err != nil {
					return err
				}
				defer st.Close()
				if name == "" {
					name = args[0]
				}
				o, err := st.CreateOrg(cmd.Context(), args[0], name)
				if err != nil {
					return fmt.Errorf("add organisation %s: %w", args[0], err)
				}
				if g.Format == "json" {
					return printJSON(g, o)
				}
				fmt.Fprintf(g.Stdout, "organisation %s (%s) added\n", o.ID, o.Name)
				return nil
			},
		}
		add.Flags().StringVar(&name, "name", "", "display name (default: the id)")
		list := &cobra.Command{
			Use: "list", Short: "List organisations", Args: Args(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				st, err := openStore(cmd, g)
				if err != nil {
					return err
				}
				defer st.Close()
				orgs, err := st.ListOrgs(cmd.Context())
				if err != nil {
					return err
				}
				if g.Format == "json" {
					return printJSON(g, orgs)
				}
				for _, o := range orgs {
					fmt.Fprintf(g.Stdout, "%-24s %s\n", o.ID, o.Name)
				}
				return nil
			},
		}
		org.AddCommand(add, list)
		return org
	})
	registerSub("admin", func(g *Globals) *cobra.Command {
		user := &cobra.Command{Use: "user", Short: "Add users and give them API tokens", Args: Args(cobra.NoArgs),
			RunE: func(*cobra.Command, []string) error { return UsageError(fmt.Errorf("user: name a subcommand: add")) }}
		var (
			org   string
			roles []string
		)
		add := &cobra.Command{
			Use:   "add NAME",
			Short: "Add a user to an organisation and print a new API token for it (shown once)",
			Long: "Add a user with roles (" + roleNames() + ") and print its first API token on a line of its own, " +
				"`token: <token>`. The token is stored hashed: it cannot be shown again.",
			Example: "  rampart admin user add soc-bot --org acme --role analyst",
			Args:    Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				if org == "" {
					return UsageError(fmt.Errorf("--org is required"))
				}
				var rs []intel.Role
				for _, r := range roles {
					role, err := intel.ParseRole(r)
					if err != nil {
						return UsageError(fmt.Errorf("--role: %w", err))
					}
					rs = append(rs, role)
				}
				if len(rs) == 0 {
					return UsageError(fmt.Errorf("--role is required: one or more of %s", roleNames()))
				}
				st, err := openStore(cmd, g)
				if err != nil {
					return err
				}
				defer st.Close()
				u, err := st.CreateUser(cmd.Context(), org, args[0], rs)
				if err != nil {
					return fmt.Errorf("add user %s to %s: %w", args[0], org, err)
				}
				tok, _, err := st.CreateToken(cmd.Context(), u.ID, "cli", time.Time{})
				if err != nil {
					return fmt.Errorf("token for user %s: %w", args[0], err)
				}
				if g.Format == "json" {
					return printJSON(g, map[string]any{"user": u, "token": tok})
				}
				fmt.Fprintf(g.Stdout, "user %s added to %s with roles %s\ntoken: %s\n", u.Name, u.Org, strings.Join(roles, ","), tok)
				return nil
			},
		}
		add.Flags().StringVar(&org, "org", "", "organisation id (required)")
		add.Flags().StringSliceVar(&roles, "role", nil, "role; repeatable or comma-separated (required)")
		user.AddCommand(add)
		return user
	})
	registerSub("admin", func(g *Globals) *cobra.Command {
		group := &cobra.Command{Use: "group", Short: "Add sharing groups", Args: Args(cobra.NoArgs),
			RunE: func(*cobra.Command, []string) error { return UsageError(fmt.Errorf("group: name a subcommand: add")) }}
		var (
			owner, description string
			members            []string
		)
		add := &cobra.Command{
			Use:     "add NAME",
			Short:   "Add a sharing group owned by an organisation, with member organisations",
			Example: "  rampart admin group add energy-sector --owner acme --member globex --member initech",
			Args:    Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				if owner == "" {
					return UsageError(fmt.Errorf("--owner is required"))
				}
				st, err := openStore(cmd, g)
				if err != nil {
					return err
				}
				defer st.Close()
				grp, err := st.CreateGroup(cmd.Context(), owner, args[0], description)
				if err != nil {
					return fmt.Errorf("add group %s: %w", args[0], err)
				}
				for _, m := range members {
					if err := st.AddGroupMember(cmd.Context(), grp.ID, m); err != nil {
						return fmt.Errorf("add %s to group %s: %w", m, args[0], err)
					}
				}
				if grp, err = st.GetGroup(cmd.Context(), grp.ID); err != nil {
					return err
				}
				if g.Format == "json" {
					return printJSON(g, grp)
				}
				fmt.Fprintf(g.Stdout, "group %s (%s) added; members: %s\n", grp.Name, grp.ID, strings.Join(grp.Members, ", "))
				return nil
			},
		}
		add.Flags().StringVar(&owner, "owner", "", "owning organisation id (required)")
		add.Flags().StringVar(&description, "description", "", "what the group is for")
		add.Flags().StringSliceVar(&members, "member", nil, "member organisation id; repeatable")
		group.AddCommand(add)
		return group
	})
}

func roleNames() string {
	names := make([]string, 0, len(intel.Roles))
	for _, r := range []intel.Role{intel.RoleCommunityAdmin, intel.RoleOrgAdmin, intel.RoleAnalyst, intel.RoleContributor,
		intel.RoleViewer, intel.RolePlaybookAuthor, intel.RolePluginAdmin} {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}
