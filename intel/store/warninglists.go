package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/warninglist"
)

// Warninglists returns the lists in force (built-in and administrators'); it is the
// warninglist.Matcher the guard and the store use.
func (s *Store) Warninglists() *warninglist.Registry { return s.wl }

// AddWarninglist stores an administrator's list (replacing one of the same name) and puts
// it in force. New indicators are flagged against it; existing ones when next reported.
func (s *Store) AddWarninglist(ctx context.Context, name, description string, entries []string) (*warninglist.List, error) {
	l, err := warninglist.New(name, description, entries)
	if err != nil {
		return nil, fmt.Errorf("intel store: %w", &intel.InvalidError{Field: "entries", Reason: err.Error()})
	}
	for _, b := range warninglist.Builtin() {
		if b.Name == l.Name {
			return nil, fmt.Errorf("intel store: %q is a built-in warninglist: %w", name, ErrConflict)
		}
	}
	ej, _ := json.Marshal(l.Entries())
	_, err = s.db.ExecContext(ctx, `INSERT INTO intel_warninglists (name, description, entries, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET description = excluded.description, entries = excluded.entries`,
		l.Name, l.Description, string(ej), ms(s.nowUTC()))
	if err != nil {
		return nil, fmt.Errorf("intel store: add warninglist: %w", err)
	}
	s.wl.Set(l)
	return l, nil
}

// RemoveWarninglist deletes an administrator's list.
func (s *Store) RemoveWarninglist(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM intel_warninglists WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("intel store: remove warninglist: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("intel store: warninglist %q: %w", name, ErrNotFound)
	}
	s.wl.Remove(name)
	return nil
}

func (s *Store) loadWarninglists(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT name, description, entries FROM intel_warninglists ORDER BY name`)
	if err != nil {
		return fmt.Errorf("intel store: load warninglists: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, desc, ej string
		if err := rows.Scan(&name, &desc, &ej); err != nil {
			return fmt.Errorf("intel store: load warninglists: %w", err)
		}
		var entries []string
		if err := json.Unmarshal([]byte(ej), &entries); err != nil {
			return fmt.Errorf("intel store: warninglist %s: %w", name, err)
		}
		l, err := warninglist.New(name, desc, entries)
		if err != nil {
			return fmt.Errorf("intel store: %w", err)
		}
		s.wl.Set(l)
	}
	return rows.Err()
}
