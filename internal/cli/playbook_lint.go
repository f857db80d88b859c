package cli

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rampartsec/rampart/playbooks"
	"github.com/spf13/cobra"
)

// LintOptions gives `rampart playbook lint` the action catalog and the connections it
// checks playbooks against. It is nil until the plugin manager sets it (in an init of its
// own file in this package, from the installed plugins in g.Data); while nil, lint checks
// everything except actions and connections.
var LintOptions func(g *Globals) (playbooks.Options, error)

// lintOrg is lint's --org: the organisation whose connections `connection:` names are
// checked against.
var lintOrg string

func init() {
	registerSub("playbook", func(g *Globals) *cobra.Command {
		cmd := &cobra.Command{
			Use:   "lint FILE|DIR...",
			Short: "Check playbooks and print every problem as file:line:col",
			Long: `Check playbooks: YAML shape, fields, step ids and references, CEL conditions, expr
templates, actions and their inputs, connections. A directory is searched recursively for
*.yaml and *.yml playbooks; *_test.yaml files found there are skipped, but a test file named
on the command line is checked as a test file. Exits 1 when there is any error.`,
			Args: Args(cobra.MinimumNArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error { return runLint(g, args) },
		}
		cmd.Flags().StringVar(&lintOrg, "org", os.Getenv("RAMPART_ORG"),
			"check connection names against this organisation's connections (env RAMPART_ORG)")
		return cmd
	})
}

// lintReport is the JSON form of lint's output.
type lintReport struct {
	Files       int                    `json:"files"`
	Errors      int                    `json:"errors"`
	Warnings    int                    `json:"warnings"`
	Diagnostics []playbooks.Diagnostic `json:"diagnostics"`
}

func runLint(g *Globals, args []string) error {
	var opts playbooks.Options
	if LintOptions != nil {
		o, err := LintOptions(g)
		if err != nil {
			return fmt.Errorf("lint: load the action catalog: %w", err)
		}
		opts = o
	}
	files, err := lintFiles(args)
	if err != nil {
		return err
	}
	rep := lintReport{Files: len(files), Diagnostics: []playbooks.Diagnostic{}}
	for _, f := range files {
		src, err := os.ReadFile(f.path)
		if err != nil {
			return fmt.Errorf("lint: %w", err)
		}
		var ds playbooks.Diagnostics
		if f.test {
			_, ds = playbooks.ParseTests(f.path, src)
		} else {
			_, ds = playbooks.Compile(f.path, src, opts)
		}
		for _, d := range ds {
			if d.Severity == playbooks.SeverityError {
				rep.Errors++
			} else {
				rep.Warnings++
			}
		}
		rep.Diagnostics = append(rep.Diagnostics, ds...)
	}
	if g.Format == "json" {
		enc := json.NewEncoder(g.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("lint: %w", err)
		}
	} else {
		for _, d := range rep.Diagnostics {
			fmt.Fprintln(g.Stdout, d.String())
		}
		fmt.Fprintf(g.Stderr, "%s checked: %s, %s\n", plural(rep.Files, "file"), plural(rep.Errors, "error"), plural(rep.Warnings, "warning"))
	}
	if rep.Errors > 0 {
		return errSilent
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

type lintFile struct {
	path string
	test bool
}

// lintFiles expands the arguments: files as given, directories searched recursively.
func lintFiles(args []string) ([]lintFile, error) {
	var out []lintFile
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			return nil, UsageError(fmt.Errorf("lint: %w", err))
		}
		if !st.IsDir() {
			out = append(out, lintFile{path: arg, test: isTestFile(arg)})
			continue
		}
		var found []string
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != arg && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if isPlaybookFile(path) && !isTestFile(path) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("lint: %w", err)
		}
		sort.Strings(found)
		for _, p := range found {
			out = append(out, lintFile{path: p})
		}
	}
	return out, nil
}

func isPlaybookFile(path string) bool {
	ext := filepath.Ext(path)
	return ext == ".yaml" || ext == ".yml"
}

func isTestFile(path string) bool {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return isPlaybookFile(path) && strings.HasSuffix(base, "_test")
}
