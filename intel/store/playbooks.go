package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rampartsec/rampart/intel"
)

// PlaybookVersion is one stored version of an organisation's playbook: its exact source and
// what the trigger router indexes it by. Versions are immutable.
type PlaybookVersion struct {
	Org         string    `json:"org"`
	Name        string    `json:"name"`
	Version     int64     `json:"version"` // 1, 2, … per (org, name)
	Source      []byte    `json:"-"`
	Hash        string    `json:"hash"`         // hex SHA-256 of Source (playbooks.Playbook.Hash)
	TriggerKind string    `json:"trigger_kind"` // playbooks.TriggerKind
	Types       []string  `json:"types"`        // indicator types (or group kinds) the trigger names; empty: all
	Events      []string  `json:"events"`       // created | updated | sighted
	Author      string    `json:"author"`       // user id, or "" when loaded by the system
	CreatedAt   time.Time `json:"created_at"`
}

// Playbook is an organisation's playbook: its latest version and whether it is enabled.
type Playbook struct {
	Org       string    `json:"org"`
	Name      string    `json:"name"`
	Enabled   bool      `json:"enabled"`
	Latest    int64     `json:"latest_version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SavePlaybook stores p (Org, Name, Source, Hash, TriggerKind, Types, Events, Author) as a
// new version of the playbook, created disabled if new. Saving the source of the latest
// version again changes nothing; created reports whether a version was added. The caller
// compiles and lints the source first.
func (s *Store) SavePlaybook(ctx context.Context, p PlaybookVersion) (PlaybookVersion, bool, error) {
	if !ValidSlug(p.Name) {
		return PlaybookVersion{}, false, fmt.Errorf("intel store: save playbook: %w", &intel.InvalidError{Field: "name",
			Reason: fmt.Sprintf("%q is not a valid playbook name: use 1-63 lower-case letters, digits and hyphens", p.Name)})
	}
	if len(p.Source) == 0 || p.Hash == "" || p.TriggerKind == "" {
		return PlaybookVersion{}, false, fmt.Errorf("intel store: save playbook: %w", &intel.InvalidError{Field: "source",
			Reason: "source, hash and trigger kind are required"})
	}
	now := s.nowUTC()
	created := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var latest int64
		err := tx.QueryRowContext(ctx, `SELECT latest_version FROM intel_playbooks WHERE org_id = ? AND name = ?`, p.Org, p.Name).Scan(&latest)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO intel_playbooks (org_id, name, enabled, latest_version, created_at, updated_at)
				VALUES (?, ?, 0, 0, ?, ?)`, p.Org, p.Name, ms(now), ms(now)); err != nil {
				if isForeignKey(err) {
					return fmt.Errorf("intel store: organisation %q: %w", p.Org, ErrNotFound)
				}
				return fmt.Errorf("intel store: save playbook: %w", err)
			}
		case err != nil:
			return fmt.Errorf("intel store: save playbook: %w", err)
		default:
			cur, err := s.getVersion(ctx, tx, p.Org, p.Name, latest)
			if err != nil {
				return err
			}
			if cur.Hash == p.Hash && bytes.Equal(cur.Source, p.Source) {
				p = cur
				return nil
			}
		}
		p.Version, p.CreatedAt, created = latest+1, now, true
		if _, err := tx.ExecContext(ctx, `INSERT INTO intel_playbook_versions (org_id, name, version, source, hash, trigger_kind,
			types_json, events_json, author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.Org, p.Name, p.Version, string(p.Source), p.Hash, p.TriggerKind, jsonList(p.Types), jsonList(p.Events), p.Author, ms(now)); err != nil {
			return fmt.Errorf("intel store: save playbook version: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE intel_playbooks SET latest_version = ?, updated_at = ? WHERE org_id = ? AND name = ?`,
			p.Version, ms(now), p.Org, p.Name); err != nil {
			return fmt.Errorf("intel store: save playbook: %w", err)
		}
		return bumpGeneration(ctx, tx)
	})
	if err != nil {
		return PlaybookVersion{}, false, err
	}
	return p, created, nil
}

const versionCols = `org_id, name, version, source, hash, trigger_kind, types_json, events_json, author, created_at`

func scanVersion(sc interface{ Scan(...any) error }) (PlaybookVersion, error) {
	var p PlaybookVersion
	var src, tj, ej string
	var c int64
	if err := sc.Scan(&p.Org, &p.Name, &p.Version, &src, &p.Hash, &p.TriggerKind, &tj, &ej, &p.Author, &c); err != nil {
		return PlaybookVersion{}, err
	}
	p.Source = []byte(src)
	if err := json.Unmarshal([]byte(tj), &p.Types); err != nil {
		return PlaybookVersion{}, fmt.Errorf("types of playbook %s/%s: %w", p.Org, p.Name, err)
	}
	if err := json.Unmarshal([]byte(ej), &p.Events); err != nil {
		return PlaybookVersion{}, fmt.Errorf("events of playbook %s/%s: %w", p.Org, p.Name, err)
	}
	p.CreatedAt = fromMS(c)
	return p, nil
}

func (s *Store) getVersion(ctx context.Context, q querier, org, name string, version int64) (PlaybookVersion, error) {
	p, err := scanVersion(q.QueryRowContext(ctx, `SELECT `+versionCols+` FROM intel_playbook_versions
		WHERE org_id = ? AND name = ? AND version = ?`, org, name, version))
	if errors.Is(err, sql.ErrNoRows) {
		return PlaybookVersion{}, fmt.Errorf("intel store: playbook %s/%s@%d: %w", org, name, version, ErrNotFound)
	}
	if err != nil {
		return PlaybookVersion{}, fmt.Errorf("intel store: get playbook version: %w", err)
	}
	return p, nil
}

// GetPlaybook returns an organisation's playbook.
func (s *Store) GetPlaybook(ctx context.Context, org, name string) (Playbook, error) {
	p, err := scanPlaybook(s.db.QueryRowContext(ctx, `SELECT org_id, name, enabled, latest_version, created_at, updated_at
		FROM intel_playbooks WHERE org_id = ? AND name = ?`, org, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Playbook{}, fmt.Errorf("intel store: playbook %s/%s: %w", org, name, ErrNotFound)
	}
	if err != nil {
		return Playbook{}, fmt.Errorf("intel store: get playbook: %w", err)
	}
	return p, nil
}

func scanPlaybook(sc interface{ Scan(...any) error }) (Playbook, error) {
	var p Playbook
	var en int
	var c, u int64
	if err := sc.Scan(&p.Org, &p.Name, &en, &p.Latest, &c, &u); err != nil {
		return Playbook{}, err
	}
	p.Enabled, p.CreatedAt, p.UpdatedAt = en != 0, fromMS(c), fromMS(u)
	return p, nil
}

// GetPlaybookVersion returns one version of a playbook; version 0 means the latest.
func (s *Store) GetPlaybookVersion(ctx context.Context, org, name string, version int64) (PlaybookVersion, error) {
	if version == 0 {
		p, err := s.GetPlaybook(ctx, org, name)
		if err != nil {
			return PlaybookVersion{}, err
		}
		version = p.Latest
	}
	return s.getVersion(ctx, s.db, org, name, version)
}

// ListPlaybooks returns an organisation's playbooks, by name.
func (s *Store) ListPlaybooks(ctx context.Context, org string) ([]Playbook, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT org_id, name, enabled, latest_version, created_at, updated_at
		FROM intel_playbooks WHERE org_id = ? ORDER BY name`, org)
	if err != nil {
		return nil, fmt.Errorf("intel store: list playbooks: %w", err)
	}
	defer rows.Close()
	var out []Playbook
	for rows.Next() {
		p, err := scanPlaybook(rows)
		if err != nil {
			return nil, fmt.Errorf("intel store: list playbooks: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SetPlaybookEnabled enables or disables a playbook (its latest version runs when enabled).
func (s *Store) SetPlaybookEnabled(ctx context.Context, org, name string, enabled bool) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		en := 0
		if enabled {
			en = 1
		}
		res, err := tx.ExecContext(ctx, `UPDATE intel_playbooks SET enabled = ?, updated_at = ? WHERE org_id = ? AND name = ?`,
			en, ms(s.nowUTC()), org, name)
		if err != nil {
			return fmt.Errorf("intel store: enable playbook: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("intel store: playbook %s/%s: %w", org, name, ErrNotFound)
		}
		return bumpGeneration(ctx, tx)
	})
}

// EnabledPlaybooks returns the latest version of every enabled playbook, for the router's
// index.
func (s *Store) EnabledPlaybooks(ctx context.Context) ([]PlaybookVersion, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT v.org_id, v.name, v.version, v.source, v.hash, v.trigger_kind, v.types_json,
		v.events_json, v.author, v.created_at FROM intel_playbooks p JOIN intel_playbook_versions v
		ON v.org_id = p.org_id AND v.name = p.name AND v.version = p.latest_version
		WHERE p.enabled = 1 ORDER BY v.org_id, v.name`)
	if err != nil {
		return nil, fmt.Errorf("intel store: enabled playbooks: %w", err)
	}
	defer rows.Close()
	var out []PlaybookVersion
	for rows.Next() {
		p, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("intel store: enabled playbooks: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
