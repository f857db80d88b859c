package manager

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rampartsec/rampart/actions/sdk"
)

// Component is the name of this package's migrations in sqlitedb.
const Component = "actions"

var migrations = []string{
	`CREATE TABLE plugins (
		name TEXT PRIMARY KEY,
		version TEXT NOT NULL,
		sha256 TEXT NOT NULL,
		file TEXT NOT NULL,
		installed_at TEXT NOT NULL,
		description_json TEXT NOT NULL
	);
	CREATE TABLE connections (
		org TEXT NOT NULL,
		name TEXT NOT NULL,
		plugin TEXT NOT NULL,
		backend TEXT NOT NULL,
		config_json TEXT NOT NULL,
		secret_fields TEXT NOT NULL,
		sealed BLOB,
		created_at TEXT NOT NULL,
		updated_at TEXT NOT NULL,
		PRIMARY KEY (org, name)
	);
	CREATE INDEX connections_plugin ON connections (plugin);`,
}

// Plugin is an installed plugin as recorded at install time.
type Plugin struct {
	Name        string          `json:"name"`
	Version     string          `json:"version"`
	SHA256      string          `json:"sha256"`
	File        string          `json:"file"` // inside data/plugins
	InstalledAt time.Time       `json:"installed_at"`
	Description sdk.Description `json:"description"`
}

func (m *Manager) loadPlugin(ctx context.Context, name string) (*Plugin, error) {
	row := m.db.QueryRowContext(ctx, `SELECT name, version, sha256, file, installed_at, description_json FROM plugins WHERE name = ?`, name)
	p, err := scanPlugin(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return p, err
}

func (m *Manager) loadPlugins(ctx context.Context) ([]*Plugin, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT name, version, sha256, file, installed_at, description_json FROM plugins ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("manager: list plugins: %w", err)
	}
	defer rows.Close()
	var out []*Plugin
	for rows.Next() {
		p, err := scanPlugin(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(...any) error }

func scanPlugin(s scanner) (*Plugin, error) {
	var p Plugin
	var at, desc string
	if err := s.Scan(&p.Name, &p.Version, &p.SHA256, &p.File, &at, &desc); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("manager: read plugin: %w", err)
	}
	p.InstalledAt, _ = time.Parse(time.RFC3339Nano, at)
	if err := json.Unmarshal([]byte(desc), &p.Description); err != nil {
		return nil, fmt.Errorf("manager: plugin %s: stored description: %w", p.Name, err)
	}
	return &p, nil
}

func (m *Manager) savePlugin(ctx context.Context, p *Plugin) error {
	desc, err := json.Marshal(p.Description)
	if err != nil {
		return fmt.Errorf("manager: encode description: %w", err)
	}
	_, err = m.db.ExecContext(ctx, `INSERT INTO plugins (name, version, sha256, file, installed_at, description_json)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET version = excluded.version, sha256 = excluded.sha256,
			file = excluded.file, installed_at = excluded.installed_at, description_json = excluded.description_json`,
		p.Name, p.Version, p.SHA256, p.File, p.InstalledAt.UTC().Format(time.RFC3339Nano), string(desc))
	if err != nil {
		return fmt.Errorf("manager: record plugin %s: %w", p.Name, err)
	}
	return nil
}
