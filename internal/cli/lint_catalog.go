package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/internal/sqlitedb"
	"github.com/rampartsec/rampart/playbooks"
)

func init() { LintOptions = installedLintOptions }

// installedLintOptions checks playbooks against what the data directory has installed: the
// built-in core/* actions and every installed plugin's actions with their input schemas, and,
// with --org, that organisation's connections. A data directory with no plugins installed
// (a fresh checkout before the first `rampart serve`) checks only core/* actions, so that
// linting works before anything is installed; plugin actions are then reported unchecked.
func installedLintOptions(g *Globals) (playbooks.Options, error) {
	if _, err := os.Stat(filepath.Join(g.Data, sqlitedb.FileName)); err != nil {
		return playbooks.Options{}, nil
	}
	ctx := context.Background()
	m, err := manager.Open(ctx, g.Data, manager.Options{})
	if err != nil {
		return playbooks.Options{}, fmt.Errorf("open the plugin catalog in %s: %w", g.Data, err)
	}
	defer m.Close()
	plugins, err := m.List(ctx)
	if err != nil {
		return playbooks.Options{}, fmt.Errorf("list installed plugins: %w", err)
	}
	var opts playbooks.Options
	if len(plugins) > 0 {
		specs, err := m.Actions(ctx)
		if err != nil {
			return playbooks.Options{}, fmt.Errorf("list installed actions: %w", err)
		}
		byName := make(map[string]actions.Spec, len(specs))
		for _, s := range specs {
			byName[s.Name] = s
		}
		opts.Actions = func(name string) (playbooks.ActionSpec, bool) {
			s, ok := byName[name]
			return playbooks.ActionSpec{Name: s.Name, InputSchema: s.InputSchema}, ok
		}
	}
	if lintOrg != "" {
		conns, err := m.ListConnections(ctx, lintOrg)
		if err != nil {
			return playbooks.Options{}, fmt.Errorf("list connections of %s: %w", lintOrg, err)
		}
		names := make(map[string]bool, len(conns))
		for _, c := range conns {
			names[c.Name] = true
		}
		opts.Connections = func(name string) bool { return names[name] }
	}
	return opts, nil
}
