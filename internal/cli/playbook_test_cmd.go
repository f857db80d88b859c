package cli

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/actions/core"
	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/internal/sqlitedb"
	"github.com/rampartsec/rampart/playbooks"
)

func init() {
	registerSub("playbook", func(g *Globals) *cobra.Command {
		return &cobra.Command{
			Use:   "test [PATH...]",
			Short: "Run playbook test files (*_test.yaml) on Temporal's test environment",
			Long: `Run the cases of playbook test files: each case triggers the playbook it tests with its
trigger, answers uses steps with their mocks and approvals with their mocked decisions, and
checks the expectations. Runs use Temporal's test environment (no server; waits and timeouts
take no time). A directory is searched recursively for *_test.yaml; with no PATH, the current
directory. A mocked output must be one the action can return: it is checked against the
output schema of core/* actions and of the actions of the plugins installed in the data
directory (other actions' mocks are not checked). Prints a PASS or FAIL line per case; exits
1 when any case fails.`,
			RunE: func(cmd *cobra.Command, args []string) error { return runPlaybookTests(g, args) },
		}
	})
}

func testFiles(args []string) ([]string, error) {
	if len(args) == 0 {
		args = []string{"."}
	}
	var files []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, UsageError(fmt.Errorf("playbook test: %w", err))
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, "_test.yaml") || strings.HasSuffix(p, "_test.yml")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("playbook test: %w", err)
		}
	}
	sort.Strings(files)
	return files, nil
}

// outputSchemas returns the output schemas mocks are checked against: the core/* actions'
// always, and those of the plugins installed in the data directory, if any (read the way
// lint reads the catalog; a data directory that does not exist yet adds none).
func outputSchemas(g *Globals) (func(action string) ([]byte, bool), error) {
	byName := map[string][]byte{}
	for _, s := range core.Specs() {
		byName[s.Name] = s.OutputSchema
	}
	if _, err := os.Stat(filepath.Join(g.Data, sqlitedb.FileName)); err == nil {
		ctx := context.Background()
		m, err := manager.Open(ctx, g.Data, manager.Options{})
		if err != nil {
			return nil, fmt.Errorf("open the plugin catalog in %s: %w", g.Data, err)
		}
		defer m.Close()
		specs, err := m.Actions(ctx)
		if err != nil {
			return nil, fmt.Errorf("list installed actions: %w", err)
		}
		for _, s := range specs {
			byName[s.Name] = s.OutputSchema
		}
	}
	return func(action string) ([]byte, bool) {
		s, ok := byName[action]
		return s, ok
	}, nil
}

func runPlaybookTests(g *Globals, args []string) error {
	files, err := testFiles(args)
	if err != nil {
		return err
	}
	schemas, err := outputSchemas(g)
	if err != nil {
		return fmt.Errorf("playbook test: load the action catalog: %w", err)
	}
	var results []engine.CaseResult
	failed, broken := 0, false
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("playbook test: %w", err)
		}
		suite, ds := playbooks.ParseTests(file, src)
		if ds.HasErrors() {
			fmt.Fprintln(g.Stderr, ds.Error())
			broken = true
			continue
		}
		pbFile := filepath.Join(filepath.Dir(file), suite.Playbook)
		pbSrc, err := os.ReadFile(pbFile)
		if err != nil {
			fmt.Fprintf(g.Stderr, "%s: the playbook it tests: %v\n", file, err)
			broken = true
			continue
		}
		pb, pds := playbooks.Compile(pbFile, pbSrc, playbooks.Options{})
		if pds.HasErrors() {
			fmt.Fprintln(g.Stderr, pds.Error())
			broken = true
			continue
		}
		// Mocks and expectations must name steps the playbook has, and the trigger must fit it.
		if cds := suite.Check(pb); cds.HasErrors() {
			fmt.Fprintln(g.Stderr, cds.Error())
			broken = true
			continue
		}
		for _, r := range engine.RunTestSuite(suite, pb, pbSrc, engine.DirSource(filepath.Dir(pbFile)),
			engine.WithOutputSchemas(schemas)) {
			r.Run = nil
			results = append(results, r)
			if !r.Passed {
				failed++
			}
			if g.Format == "json" {
				continue
			}
			if r.Passed {
				fmt.Fprintf(g.Stdout, "PASS  %s  %s\n", file, r.Case)
				continue
			}
			fmt.Fprintf(g.Stdout, "FAIL  %s  %s\n", file, r.Case)
			for _, f := range r.Failures {
				fmt.Fprintf(g.Stdout, "      %s\n", f)
			}
		}
	}
	if g.Format == "json" {
		if results == nil {
			results = []engine.CaseResult{}
		}
		if err := writeJSON(g.Stdout, results); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(g.Stdout, "%d cases, %d passed, %d failed\n", len(results), len(results)-failed, failed)
	}
	if failed > 0 || broken {
		return errSilent
	}
	return nil
}
