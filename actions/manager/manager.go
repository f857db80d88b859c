// Package manager is the plugin manager of DESIGN.md §5. It installs plugins (runs Describe,
// records name, version, SHA-256, actions and schemas in data/rampart.db, copies the binary
// into data/plugins/), launches them through go-plugin with SecureConfig so a binary changed
// after install never runs, starts each on first use, reuses it, restarts it after a crash,
// bounds its concurrent calls and kills it on Close. It stores organisations' connections
// with their secret fields AES-GCM encrypted, and it implements actions.Executor (core/*
// built-ins in-process, everything else through the plugin) and actions.Catalog.
//
// Open it on a data directory; Close it to stop every plugin process:
//
//	m, err := manager.Open(ctx, dataDir, manager.Options{})
//	defer m.Close()
//	spec, ok := m.Lookup("firewall/block")
package manager

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/core"
	"github.com/rampartsec/rampart/actions/schema"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
	"github.com/rampartsec/rampart/actions/secrets"
	"github.com/rampartsec/rampart/internal/sqlitedb"
)

// PluginsDir is the directory inside the data directory holding installed binaries; its
// state/<plugin> subdirectories are the plugins' private state.
const PluginsDir = "plugins"

// Options tune a Manager.
type Options struct {
	// MaxConcurrent bounds the calls in flight to one plugin process (default 16); more
	// wait for a slot, or fail with a timeout when their deadline passes first.
	MaxConcurrent int
	// Logger receives the manager's own log lines and core/log (nil: slog.Default()).
	Logger *slog.Logger
	// PluginOutput receives what plugins write to stderr, and go-plugin's errors
	// (nil: os.Stderr). Plugins must never write secrets there.
	PluginOutput io.Writer
	// HTTP tunes core/http.
	HTTP httpx.Options
}

// Manager implements actions.Executor and actions.Catalog over one data directory.
type Manager struct {
	dataDir string
	db      *sql.DB
	opts    Options
	core    *core.Builtins

	boxOnce sync.Once
	box     *secrets.Box
	boxErr  error

	mu     sync.Mutex
	procs  map[string]*proc
	cache  map[string]*entry // plugin name -> record with compiled schemas
	closed bool
}

var (
	_ actions.Executor = (*Manager)(nil)
	_ actions.Catalog  = (*Manager)(nil)
)

// entry is an installed plugin with its actions' schemas compiled.
type entry struct {
	p       *Plugin
	specs   map[string]actions.Spec // by full name "plugin/action"
	inputs  map[string]*schema.Schema
	outputs map[string]*schema.Schema
	conns   map[string]*schema.Schema // by backend
}

// Open opens the manager on dataDir (its rampart.db and plugins/), migrating the "actions"
// tables. It starts no plugin.
func Open(ctx context.Context, dataDir string, o Options) (*Manager, error) {
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 16
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.PluginOutput == nil {
		o.PluginOutput = os.Stderr
	}
	if err := os.MkdirAll(filepath.Join(dataDir, PluginsDir), 0o700); err != nil {
		return nil, fmt.Errorf("manager: create plugins directory: %w", err)
	}
	db, err := sqlitedb.OpenDir(dataDir)
	if err != nil {
		return nil, fmt.Errorf("manager: %w", err)
	}
	if err := sqlitedb.Migrate(ctx, db, Component, migrations); err != nil {
		db.Close()
		return nil, fmt.Errorf("manager: %w", err)
	}
	return &Manager{
		dataDir: dataDir, db: db, opts: o,
		core:  core.New(o.Logger, o.HTTP),
		procs: map[string]*proc{}, cache: map[string]*entry{},
	}, nil
}

// Close kills every plugin process and closes the database.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	procs := m.procs
	m.procs = map[string]*proc{}
	m.mu.Unlock()
	for _, p := range procs {
		p.kill()
	}
	return m.db.Close()
}

// DataDir returns the data directory.
func (m *Manager) DataDir() string { return m.dataDir }

func (m *Manager) secretBox() (*secrets.Box, error) {
	m.boxOnce.Do(func() { m.box, m.boxErr = secrets.LoadBox(m.dataDir) })
	return m.box, m.boxErr
}

func (m *Manager) binPath(file string) string { return filepath.Join(m.dataDir, PluginsDir, file) }

func (m *Manager) stateDir(plugin string) string {
	return filepath.Join(m.dataDir, PluginsDir, "state", plugin)
}

// plugin returns the installed plugin's entry, reading the database when it is not cached
// (another process may have installed it). nil: not installed.
func (m *Manager) plugin(ctx context.Context, name string) (*entry, error) {
	m.mu.Lock()
	e := m.cache[name]
	m.mu.Unlock()
	if e != nil {
		return e, nil
	}
	return m.reload(ctx, name)
}

// reload reads the plugin's record again and replaces the cached entry.
func (m *Manager) reload(ctx context.Context, name string) (*entry, error) {
	p, err := m.loadPlugin(ctx, name)
	if err != nil || p == nil {
		m.mu.Lock()
		delete(m.cache, name)
		m.mu.Unlock()
		return nil, err
	}
	e, err := compileEntry(p)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.cache[name] = e
	m.mu.Unlock()
	return e, nil
}

func compileEntry(p *Plugin) (*entry, error) {
	e := &entry{p: p, specs: map[string]actions.Spec{}, inputs: map[string]*schema.Schema{},
		outputs: map[string]*schema.Schema{}, conns: map[string]*schema.Schema{}}
	for _, a := range p.Description.Actions {
		full := p.Name + "/" + a.Name
		in, err := schema.Compile(full+" input", []byte(a.Input))
		if err != nil {
			return nil, fmt.Errorf("manager: plugin %s: %w", p.Name, err)
		}
		out, err := schema.Compile(full+" output", []byte(a.Output))
		if err != nil {
			return nil, fmt.Errorf("manager: plugin %s: %w", p.Name, err)
		}
		e.inputs[full], e.outputs[full] = in, out
		e.specs[full] = actions.Spec{Name: full, Description: a.Description,
			InputSchema: []byte(a.Input), OutputSchema: []byte(a.Output),
			Idempotent: a.Idempotent, Batch: a.Batch, NeedsConnection: a.NeedsConnection}
	}
	for _, b := range p.Description.Backends {
		s, err := schema.Compile(p.Name+" "+b.Name+" connection", []byte(b.ConnectionSchema))
		if err != nil {
			return nil, fmt.Errorf("manager: plugin %s: %w", p.Name, err)
		}
		e.conns[b.Name] = s
	}
	return e, nil
}

// Lookup implements actions.Catalog over core/* and the installed plugins.
func (m *Manager) Lookup(action string) (actions.Spec, bool) {
	if s, ok := core.Lookup(action); ok {
		return s, true
	}
	name, _, ok := splitAction(action)
	if !ok {
		return actions.Spec{}, false
	}
	e, err := m.plugin(context.Background(), name)
	if err != nil || e == nil {
		return actions.Spec{}, false
	}
	s, ok := e.specs[action]
	return s, ok
}

// Actions lists every action: core/* first, then each installed plugin's, by name.
func (m *Manager) Actions(ctx context.Context) ([]actions.Spec, error) {
	out := core.Specs()
	ps, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		for _, a := range p.Description.Actions {
			out = append(out, actions.Spec{Name: p.Name + "/" + a.Name, Description: a.Description,
				InputSchema: []byte(a.Input), OutputSchema: []byte(a.Output),
				Idempotent: a.Idempotent, Batch: a.Batch, NeedsConnection: a.NeedsConnection})
		}
	}
	return out, nil
}

func splitAction(action string) (plugin, name string, ok bool) {
	for i := 0; i < len(action); i++ {
		if action[i] == '/' {
			if i == 0 || i == len(action)-1 {
				return "", "", false
			}
			return action[:i], action[i+1:], true
		}
	}
	return "", "", false
}
