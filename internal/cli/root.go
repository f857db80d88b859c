// Package cli holds the rampart command tree. Each subcommand lives in a file named for it
// and registers itself with register; Main builds the tree, runs it and maps errors onto the
// exit statuses of DESIGN.md §7: 0 success, 1 wrong input, 2 usage error.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses shared by every subcommand.
const (
	ExitOK    = 0
	ExitInput = 1
	ExitUsage = 2
)

// Globals are the flags every subcommand shares. Environment variables give the defaults;
// flags override them.
type Globals struct {
	Data   string // --data, RAMPART_DATA, default ./data
	Config string // --config, RAMPART_CONFIG
	Server string // --server, RAMPART_SERVER
	Token  string // RAMPART_TOKEN only: tokens never go on a command line
	Format string // --format text|json
	Stdout io.Writer
	Stderr io.Writer
}

// builder makes one top-level subcommand; files register theirs in init.
type builder struct {
	name string
	make func(g *Globals) *cobra.Command
}

var (
	builders []builder
	subs     = map[string][]builder{}
)

// groups are the parent commands whose subcommands live in several files
// (`playbook lint` beside `playbook run`). A file adds one with registerSub.
var groups = map[string]string{
	"playbook":   "Lint, format, test and run playbooks",
	"runs":       "List, inspect, approve, reject, cancel and retry playbook runs",
	"plugin":     "Install, list, describe and remove action plugins",
	"connection": "Manage an organisation's named connections to devices and services",
	"indicator":  "Add and import community indicators",
	"admin":      "Administer organisations, users, sharing groups and warninglists",
}

// register adds a top-level subcommand. It is called from init functions.
func register(name string, make func(g *Globals) *cobra.Command) {
	builders = append(builders, builder{name: name, make: make})
}

// registerSub adds a subcommand under one of the groups. It is called from init functions.
func registerSub(group string, make func(g *Globals) *cobra.Command) {
	if _, ok := groups[group]; !ok {
		panic("cli: unknown command group " + group)
	}
	subs[group] = append(subs[group], builder{name: group, make: make})
}

// usageError marks a command line that cannot be run as written (exit status 2). Every
// other error (wrong input, a refused request, a failure) exits with status 1.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// UsageError wraps err so that Main exits with status 2.
func UsageError(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// Args wraps a cobra argument validator so that its complaints are usage errors.
func Args(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error { return UsageError(v(cmd, args)) }
}

// errSilent is returned when the command already printed what went wrong (diagnostics) and
// wants exit status 1 without another message.
var errSilent = errors.New("")

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// NewRoot builds the command tree writing to the given streams.
func NewRoot(stdout, stderr io.Writer) (*cobra.Command, *Globals) {
	g := &Globals{Stdout: stdout, Stderr: stderr}
	root := &cobra.Command{
		Use:           "rampart",
		Short:         "Rampart: shared threat intelligence and the playbooks that act on it",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&g.Data, "data", envOr("RAMPART_DATA", "./data"), "data directory (env RAMPART_DATA)")
	pf.StringVar(&g.Config, "config", envOr("RAMPART_CONFIG", ""), "configuration file (env RAMPART_CONFIG)")
	pf.StringVar(&g.Server, "server", envOr("RAMPART_SERVER", ""), "URL of a running rampart server (env RAMPART_SERVER)")
	pf.StringVar(&g.Format, "format", "text", "output format: text or json")
	g.Token = os.Getenv("RAMPART_TOKEN")
	bs := append([]builder(nil), builders...)
	sort.Slice(bs, func(i, j int) bool { return bs[i].name < bs[j].name })
	for _, b := range bs {
		root.AddCommand(b.make(g))
	}
	names := make([]string, 0, len(subs))
	for name := range subs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		parent := &cobra.Command{Use: name, Short: groups[name], Args: Args(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				return UsageError(fmt.Errorf("%s: name a subcommand (see rampart %s --help)", name, name))
			}}
		for _, b := range subs[name] {
			parent.AddCommand(b.make(g))
		}
		root.AddCommand(parent)
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return UsageError(err) })
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if g.Format != "text" && g.Format != "json" {
			return UsageError(fmt.Errorf("--format %q: use text or json", g.Format))
		}
		return nil
	}
	return root, g
}

// Main runs the command line and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	root, _ := NewRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, errSilent) {
		return ExitInput
	}
	fmt.Fprintln(stderr, "rampart:", err)
	var ue usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") {
		return ExitUsage
	}
	return ExitInput
}
