package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/intel/store"
	"github.com/rampartsec/rampart/intel/warninglist"
)

// warninglistSummary is what the warninglist commands print with --format json.
type warninglistSummary struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	EntryType   string `json:"entry_type"`
	Builtin     bool   `json:"builtin"`
	Editable    bool   `json:"editable"`
	EntryCount  int    `json:"entry_count"`
	Added       *int   `json:"added,omitempty"`
	Removed     *int   `json:"removed,omitempty"`
}

func summarise(l *warninglist.List) warninglistSummary {
	return warninglistSummary{Name: l.Name, Description: l.Description, EntryType: string(l.EntryType), Builtin: l.Builtin,
		Editable: l.Editable, EntryCount: l.Len()}
}

// listFile is the entries of a list file with the line each came from: one entry a line,
// blank lines and "#" comments skipped.
type listFile struct {
	name    string
	entries []string
	lines   []int
}

func readListFile(path string, stdin io.Reader) (*listFile, error) {
	var r io.Reader = stdin
	name := "stdin"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, name = f, path
	}
	lf := &listFile{name: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lf.entries = append(lf.entries, line)
		lf.lines = append(lf.lines, n)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return lf, nil
}

// reportEntries prints the bad entries of err by file and line, and returns the error to
// exit with; other errors are returned as they are.
func (lf *listFile) reportEntries(g *Globals, list string, err error) error {
	var bad *warninglist.EntriesError
	if !errors.As(err, &bad) {
		return err
	}
	for _, e := range bad.Errors {
		fmt.Fprintf(g.Stderr, "%s:%d: %q: %s\n", lf.name, lf.lines[e.Index], e.Entry, e.Reason)
	}
	more := ""
	if bad.Total > len(bad.Errors) {
		more = fmt.Sprintf(" (the first %d are shown)", len(bad.Errors))
	}
	return fmt.Errorf("warninglist %s: %d invalid entries in %s%s; nothing was changed", list, bad.Total, lf.name, more)
}

func init() {
	registerSub("admin", func(g *Globals) *cobra.Command {
		wl := &cobra.Command{Use: "warninglist", Short: "Add, list, show and remove warninglists: values never to block", Args: Args(cobra.NoArgs),
			Long: "Warninglists hold values playbooks must never block or sinkhole: the built-in lists (reserved, private, documentation, " +
				"loopback, link-local and multicast ranges, very popular domains), the built-in community-assets list the community's " +
				"administrators fill with members' own networks and domains, and lists of their own. These commands work on the data " +
				"directory; a running `rampart serve` (and `rampart worker`) picks a change up within " + store.WarninglistRefresh.String() + ".",
			RunE: func(*cobra.Command, []string) error {
				return UsageError(fmt.Errorf("warninglist: name a subcommand: add, list, show or remove"))
			}}
		var (
			file, description, entryType string
			replace                      bool
		)
		add := &cobra.Command{
			Use:   "add NAME --file FILE",
			Short: "Create a warninglist from a file, or add the file's entries to an existing list",
			Long: "FILE (\"-\" for standard input) holds one entry a line: an IP address, a CIDR network, a domain (\"*.example.org\" also " +
				"covers its subdomains) or another indicator value; blank lines and \"#\" comments are skipped. Every bad entry is " +
				"reported with its line, and then nothing is changed. An existing list (community-assets among them) gets the " +
				"file's entries added, or with --replace replaced by them.",
			Example: "  rampart admin warninglist add member-networks --file members.txt --type network --description \"members' address space\"\n" +
				"  rampart admin warninglist add community-assets --file ours.txt",
			Args: Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				name := args[0]
				if file == "" {
					return UsageError(fmt.Errorf("--file is required (\"-\" reads standard input)"))
				}
				if !warninglist.ValidName(name) {
					return UsageError(fmt.Errorf("warninglist name %q: use 1-63 lower-case letters, digits and hyphens", name))
				}
				typ, err := warninglist.ParseEntryType(entryType)
				if err != nil {
					return UsageError(fmt.Errorf("--type: %w", err))
				}
				lf, err := readListFile(file, cmd.InOrStdin())
				if err != nil {
					return err
				}
				st, err := openStore(cmd, g)
				if err != nil {
					return err
				}
				defer st.Close()
				ctx := cmd.Context()
				cur, err := st.GetWarninglist(ctx, name)
				var (
					l      *warninglist.List
					verb   string
					before int
				)
				switch {
				case errors.Is(err, store.ErrNotFound):
					if replace {
						return fmt.Errorf("warninglist %s does not exist: leave out --replace to create it", name)
					}
					l, err = st.CreateWarninglist(ctx, warninglist.Spec{Name: name, Description: description, EntryType: typ, Entries: lf.entries})
					verb = "created"
				case err != nil:
					return err
				default:
					if cmd.Flags().Changed("type") && typ != cur.EntryType {
						return fmt.Errorf("warninglist %s holds %s entries: its entry type cannot change", name, cur.EntryType)
					}
					before = cur.Len()
					c := store.WarninglistChange{Add: lf.entries, Replace: replace}
					if cmd.Flags().Changed("description") {
						c.Description = &description
					}
					l, err = st.ChangeWarninglist(ctx, name, c)
					verb = "updated"
				}
				if err != nil {
					return lf.reportEntries(g, name, err)
				}
				sum := summarise(l)
				if verb == "updated" && !replace {
					added := l.Len() - before
					sum.Added = &added
				}
				if g.Format == "json" {
					return printJSON(g, sum)
				}
				switch {
				case verb == "created":
					fmt.Fprintf(g.Stdout, "warninglist %s created: %d entries (%s)\n", l.Name, l.Len(), l.EntryType)
				case replace:
					fmt.Fprintf(g.Stdout, "warninglist %s replaced: %d entries (%d before)\n", l.Name, l.Len(), before)
				default:
					fmt.Fprintf(g.Stdout, "warninglist %s updated: %d entries (%d added; %d already there)\n", l.Name, l.Len(), *sum.Added, len(lf.entries)-*sum.Added)
				}
				return nil
			},
		}
		add.Flags().StringVar(&file, "file", "", "file of entries, one a line; - for standard input (required)")
		add.Flags().StringVar(&description, "description", "", "what the list holds")
		add.Flags().StringVar(&entryType, "type", "", "kind of entries a new list takes: mixed (default), network, domain, url, email, hash or asn")
		add.Flags().BoolVar(&replace, "replace", false, "replace the list's entries with the file's instead of adding them")

		list := &cobra.Command{
			Use: "list", Short: "List the warninglists in force", Args: Args(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				st, err := openStore(cmd, g)
				if err != nil {
					return err
				}
				defer st.Close()
				lists := st.ListWarninglists(cmd.Context())
				if g.Format == "json" {
					out := make([]warninglistSummary, len(lists))
					for i, l := range lists {
						out[i] = summarise(l)
					}
					return printJSON(g, out)
				}
				tw := newTable(g.Stdout)
				fmt.Fprintln(tw, "NAME\tKIND\tTYPE\tENTRIES\tDESCRIPTION")
				for _, l := range lists {
					kind := "admin"
					switch {
					case l.Builtin && l.Editable:
						kind = "built-in, editable"
					case l.Builtin:
						kind = "built-in"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", l.Name, kind, l.EntryType, l.Len(), l.Description)
				}
				return tw.Flush()
			},
		}
		show := &cobra.Command{
			Use: "show NAME", Short: "Print a warninglist's entries, one a line", Args: Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				st, err := openStore(cmd, g)
				if err != nil {
					return err
				}
				defer st.Close()
				l, err := st.GetWarninglist(cmd.Context(), args[0])
				if err != nil {
					return fmt.Errorf("no warninglist %s (rampart admin warninglist list shows them)", args[0])
				}
				if g.Format == "json" {
					return printJSON(g, map[string]any{"warninglist": summarise(l), "entries": nonNilEntries(l.Entries())})
				}
				fmt.Fprintf(g.Stdout, "# %s: %s (%s, %d entries)\n", l.Name, l.Description, l.EntryType, l.Len())
				for _, e := range l.Entries() {
					fmt.Fprintln(g.Stdout, e)
				}
				return nil
			},
		}
		remove := &cobra.Command{
			Use: "remove NAME", Short: "Delete an administrator's warninglist (built-in lists cannot be deleted)", Args: Args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				st, err := openStore(cmd, g)
				if err != nil {
					return err
				}
				defer st.Close()
				var builtin *store.BuiltinError
				switch err := st.RemoveWarninglist(cmd.Context(), args[0]); {
				case errors.As(err, &builtin):
					hint := ""
					if args[0] == warninglist.CommunityAssets {
						hint = " (empty it with: rampart admin warninglist add " + warninglist.CommunityAssets + " --replace --file /dev/null)"
					}
					return fmt.Errorf("%s%s", builtin.Error(), hint)
				case errors.Is(err, store.ErrNotFound):
					return fmt.Errorf("no warninglist %s (rampart admin warninglist list shows them)", args[0])
				case err != nil:
					return err
				}
				if g.Format == "json" {
					return printJSON(g, map[string]string{"removed": args[0]})
				}
				fmt.Fprintf(g.Stdout, "warninglist %s removed\n", args[0])
				return nil
			},
		}
		wl.AddCommand(add, list, show, remove)
		return wl
	})
}

func nonNilEntries(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
