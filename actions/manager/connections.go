package manager

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/actionv1"
	"github.com/rampartsec/rampart/actions/schema"
	"github.com/rampartsec/rampart/actions/sdk"
)

// Connection is an organisation's named connection as it may be shown: its secret fields are
// named, never valued.
type Connection struct {
	Org          string         `json:"org"`
	Name         string         `json:"name"`
	Plugin       string         `json:"plugin"`
	Backend      string         `json:"backend"`
	Config       map[string]any `json:"config"`        // the non-secret fields
	SecretFields []string       `json:"secret_fields"` // names of the encrypted fields
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
}

// NewConnection is what AddConnection stores. Config and Secrets together are the backend's
// connection config; a field goes encrypted when it is in Secrets or the backend's schema
// marks it "x-secret".
type NewConnection struct {
	Org, Name, Plugin, Backend string
	Config                     map[string]any
	Secrets                    map[string]any
	Replace                    bool // overwrite an existing connection of that name
}

// AddConnection checks the connection config against the backend's schema and stores it,
// secret fields encrypted with the data directory's key.
func (m *Manager) AddConnection(ctx context.Context, nc NewConnection) (*Connection, error) {
	if !nameRE.MatchString(nc.Name) {
		return nil, fmt.Errorf("connection %q: use lower-case letters, digits, - and _", nc.Name)
	}
	if nc.Org == "" {
		return nil, errors.New("connection: the organisation is required")
	}
	e, err := m.plugin(ctx, nc.Plugin)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, fmt.Errorf("connection %s: no plugin %q is installed (rampart plugin list)", nc.Name, nc.Plugin)
	}
	cs, ok := e.conns[nc.Backend]
	if !ok {
		var names []string
		for _, b := range e.p.Description.Backends {
			names = append(names, b.Name)
		}
		return nil, fmt.Errorf("connection %s: plugin %s has no backend %q (backends: %s)", nc.Name, nc.Plugin, nc.Backend, strings.Join(names, ", "))
	}
	marked, err := schema.SecretFields([]byte(backendSchema(e, nc.Backend)))
	if err != nil {
		return nil, err
	}
	full := map[string]any{}
	for k, v := range nc.Config {
		full[k] = v
	}
	var secretVals []string
	for k, v := range nc.Secrets {
		if _, dup := full[k]; dup {
			return nil, fmt.Errorf("connection %s: %s is given both as a value and as a secret", nc.Name, k)
		}
		full[k] = v
	}
	secretSet := map[string]bool{}
	for k := range nc.Secrets {
		secretSet[k] = true
	}
	for _, k := range marked {
		if _, ok := full[k]; ok {
			secretSet[k] = true
		}
	}
	for k := range secretSet {
		secretVals = secretTexts(full[k], secretVals)
	}
	if err := cs.Validate("connection", full); err != nil {
		return nil, fmt.Errorf("connection %s (%s %s): %s", nc.Name, nc.Plugin, nc.Backend, redact(err.Error(), secretVals))
	}
	plain, secret := map[string]any{}, map[string]any{}
	for k, v := range full {
		if secretSet[k] {
			secret[k] = v
		} else {
			plain[k] = v
		}
	}
	names := make([]string, 0, len(secret))
	for k := range secret {
		names = append(names, k)
	}
	sort.Strings(names)
	var sealed []byte
	if len(secret) > 0 {
		box, err := m.secretBox()
		if err != nil {
			return nil, err
		}
		pt, err := json.Marshal(secret)
		if err != nil {
			return nil, fmt.Errorf("connection %s: encode secrets: %w", nc.Name, err)
		}
		if sealed, err = box.Seal(pt, aad(nc.Org, nc.Name)); err != nil {
			return nil, err
		}
	}
	cfg, _ := json.Marshal(plain)
	sf, _ := json.Marshal(names)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	q := `INSERT INTO connections (org, name, plugin, backend, config_json, secret_fields, sealed, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if nc.Replace {
		q += ` ON CONFLICT (org, name) DO UPDATE SET plugin = excluded.plugin, backend = excluded.backend,
			config_json = excluded.config_json, secret_fields = excluded.secret_fields, sealed = excluded.sealed,
			updated_at = excluded.updated_at`
	}
	if _, err := m.db.ExecContext(ctx, q, nc.Org, nc.Name, nc.Plugin, nc.Backend, string(cfg), string(sf), sealed, now, now); err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return nil, fmt.Errorf("connection %s/%s exists: remove it first or use --replace", nc.Org, nc.Name)
		}
		return nil, fmt.Errorf("connection %s: store: %w", nc.Name, err)
	}
	c, err := m.GetConnection(ctx, nc.Org, nc.Name)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func backendSchema(e *entry, backend string) string {
	for _, b := range e.p.Description.Backends {
		if b.Name == backend {
			return b.ConnectionSchema
		}
	}
	return ""
}

func aad(org, name string) []byte { return []byte("rampart connection " + org + "/" + name) }

const connCols = `org, name, plugin, backend, config_json, secret_fields, created_at, updated_at`

func scanConnection(s scanner) (*Connection, error) {
	var c Connection
	var cfg, sf, ca, ua string
	if err := s.Scan(&c.Org, &c.Name, &c.Plugin, &c.Backend, &cfg, &sf, &ca, &ua); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(cfg), &c.Config); err != nil {
		return nil, fmt.Errorf("connection %s/%s: stored config: %w", c.Org, c.Name, err)
	}
	if err := json.Unmarshal([]byte(sf), &c.SecretFields); err != nil {
		return nil, fmt.Errorf("connection %s/%s: stored secret names: %w", c.Org, c.Name, err)
	}
	if c.SecretFields == nil {
		c.SecretFields = []string{}
	}
	c.CreatedAt, _ = time.Parse(time.RFC3339Nano, ca)
	c.UpdatedAt, _ = time.Parse(time.RFC3339Nano, ua)
	return &c, nil
}

// GetConnection returns a connection without its secrets; nil, nil when there is none.
func (m *Manager) GetConnection(ctx context.Context, org, name string) (*Connection, error) {
	c, err := scanConnection(m.db.QueryRowContext(ctx, `SELECT `+connCols+` FROM connections WHERE org = ? AND name = ?`, org, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("connection %s/%s: %w", org, name, err)
	}
	return c, nil
}

// ListConnections lists an organisation's connections ("" lists every organisation's).
func (m *Manager) ListConnections(ctx context.Context, org string) ([]*Connection, error) {
	q := `SELECT ` + connCols + ` FROM connections`
	var args []any
	if org != "" {
		q += ` WHERE org = ?`
		args = append(args, org)
	}
	rows, err := m.db.QueryContext(ctx, q+` ORDER BY org, name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	defer rows.Close()
	var out []*Connection
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RemoveConnection deletes a connection.
func (m *Manager) RemoveConnection(ctx context.Context, org, name string) error {
	res, err := m.db.ExecContext(ctx, `DELETE FROM connections WHERE org = ? AND name = ?`, org, name)
	if err != nil {
		return fmt.Errorf("remove connection %s/%s: %w", org, name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("remove connection %s/%s: no such connection", org, name)
	}
	return nil
}

// resolveConnection returns the connection, its whole config with secrets decrypted, and
// the secret values (for redaction). Only Execute and CheckConnection call it.
func (m *Manager) resolveConnection(ctx context.Context, org, name string) (*Connection, map[string]any, []string, error) {
	c, err := m.GetConnection(ctx, org, name)
	if err != nil {
		return nil, nil, nil, actions.Errorf(actions.CodeConnection, true, "%v", err)
	}
	if c == nil {
		return nil, nil, nil, actions.Errorf(actions.CodeConnection, false, "organisation %s has no connection %q (rampart connection list --org %s)", org, name, org)
	}
	cfg := map[string]any{}
	for k, v := range c.Config {
		cfg[k] = v
	}
	var vals []string
	if len(c.SecretFields) > 0 {
		var sealed []byte
		if err := m.db.QueryRowContext(ctx, `SELECT sealed FROM connections WHERE org = ? AND name = ?`, org, name).Scan(&sealed); err != nil {
			return nil, nil, nil, actions.Errorf(actions.CodeConnection, true, "connection %s/%s: %v", org, name, err)
		}
		box, err := m.secretBox()
		if err != nil {
			return nil, nil, nil, actions.Errorf(actions.CodeConnection, false, "connection %s/%s: %v", org, name, err)
		}
		pt, err := box.Open(sealed, aad(org, name))
		if err != nil {
			return nil, nil, nil, actions.Errorf(actions.CodeConnection, false, "connection %s/%s: %v", org, name, err)
		}
		var sec map[string]any
		if err := json.Unmarshal(pt, &sec); err != nil {
			return nil, nil, nil, actions.Errorf(actions.CodeConnection, false, "connection %s/%s: stored secrets are not JSON", org, name)
		}
		for k, v := range sec {
			cfg[k] = v
			vals = secretTexts(v, vals)
		}
	}
	return c, cfg, vals, nil
}

// CheckConnection asks the connection's plugin to test it and returns what it checked.
func (m *Manager) CheckConnection(ctx context.Context, org, name string) (string, error) {
	c, cfg, vals, err := m.resolveConnection(ctx, org, name)
	if err != nil {
		return "", err
	}
	e, err := m.plugin(ctx, c.Plugin)
	if err != nil {
		return "", err
	}
	if e == nil {
		return "", actions.Errorf(actions.CodeConnection, false, "connection %s/%s: plugin %s is not installed", org, name, c.Plugin)
	}
	p, err := m.proc(c.Plugin)
	if err != nil {
		return "", err
	}
	cl, err := m.connect(ctx, p, e)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return "", actions.Errorf(actions.CodeConnection, false, "connection %s/%s cannot be encoded", org, name)
	}
	resp, err := cl.CheckConnection(ctx, &actionv1.CheckConnectionRequest{Backend: c.Backend, ConnectionJson: b})
	if err != nil {
		return "", redactError(m.callError(ctx, p, cl, "check "+org+"/"+name, c.Plugin, err), vals)
	}
	if resp.Error != nil {
		return redact(resp.Detail, vals), redactError(sdk.ErrorFromProto(resp.Error), vals)
	}
	return redact(resp.Detail, vals), nil
}
