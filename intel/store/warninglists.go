package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/warninglist"
)

// Administrators' warninglists live in intel_warninglists (one row a list, entries as a JSON
// array); the row of an editable built-in list (warninglist.CommunityAssets) holds its
// entries. Every change bumps the 'warninglists' counter of intel_state in the same
// transaction. The lists in force are a warninglist.Registry in memory: a change made
// through this store is in force at once; one made by another process on the same database
// (the CLI on the data directory, another server, a worker's store) is picked up when the
// counter is next checked, at most every WarninglistRefresh, before indicators are written
// and when the guard matches a value.

// WarninglistRefresh is how often a store checks whether another process changed the
// administrators' warninglists.
const WarninglistRefresh = 2 * time.Second

// Warninglists returns the lists in force (built-in and administrators'): the
// warninglist.Matcher engine/guard refuses blocks with. It sees changes made through any
// store on the same database, within WarninglistRefresh.
func (s *Store) Warninglists() warninglist.Matcher { return liveLists{s} }

// liveLists matches against the registry after bringing it up to date.
type liveLists struct{ s *Store }

func (l liveLists) Match(t intel.Type, value string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.s.maybeRefreshWarninglists(ctx)
	return l.s.wl.Match(t, value)
}

// ListWarninglists returns the lists in force, sorted by name.
func (s *Store) ListWarninglists(ctx context.Context) []*warninglist.List {
	s.maybeRefreshWarninglists(ctx)
	return s.wl.Lists()
}

// GetWarninglist returns the list in force named name, or ErrNotFound.
func (s *Store) GetWarninglist(ctx context.Context, name string) (*warninglist.List, error) {
	s.maybeRefreshWarninglists(ctx)
	if l := s.wl.Get(name); l != nil {
		return l, nil
	}
	return nil, fmt.Errorf("intel store: warninglist %q: %w", name, ErrNotFound)
}

// ErrBuiltinWarninglist is wrapped (with ErrConflict, by a *BuiltinError) by the refusal to
// delete a built-in list or to change a built-in list that is not editable.
var ErrBuiltinWarninglist = errors.New("built-in warninglist")

// BuiltinError refuses a change to a built-in warninglist and says why. It wraps
// ErrBuiltinWarninglist and ErrConflict.
type BuiltinError struct {
	Name   string
	Reason string // "it cannot be deleted", …
}

func (e *BuiltinError) Error() string {
	return fmt.Sprintf("%s is a built-in warninglist: %s", e.Name, e.Reason)
}

// Unwrap makes errors.Is(err, ErrBuiltinWarninglist) and errors.Is(err, ErrConflict) true.
func (e *BuiltinError) Unwrap() []error { return []error{ErrBuiltinWarninglist, ErrConflict} }

func builtinError(name, what string) error { return &BuiltinError{Name: name, Reason: what} }

// CreateWarninglist stores a new administrator's list and puts it in force. Its entries are
// validated strictly (warninglist.Build): an error wrapping *warninglist.EntriesError names
// every bad entry, and nothing is stored. A list of that name already existing, built in or
// not, is ErrConflict. Stored and new indicators are flagged against the list at once (Reflag).
func (s *Store) CreateWarninglist(ctx context.Context, spec warninglist.Spec) (*warninglist.List, error) {
	l, err := warninglist.Build(spec)
	if err != nil {
		return nil, fmt.Errorf("intel store: %w", err)
	}
	if b := s.wl.Get(l.Name); b != nil && b.Builtin {
		what := "its name is taken"
		if b.Editable {
			what += "; add entries to it instead"
		}
		return nil, builtinError(l.Name, what)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM intel_warninglists WHERE name = ?`, l.Name).Scan(&n); err != nil {
			return fmt.Errorf("intel store: warninglist %s: %w", l.Name, err)
		}
		if n > 0 {
			return fmt.Errorf("intel store: warninglist %q already exists: %w", l.Name, ErrConflict)
		}
		return s.putWarninglist(ctx, tx, l, true)
	})
	if err != nil {
		return nil, err
	}
	s.inForce(l)
	s.reflag(ctx)
	return l, nil
}

// WarninglistChange edits a list's entries: Add and Remove are applied together, all or
// nothing. With Replace the list's entries become exactly Add (Remove must be empty).
type WarninglistChange struct {
	Add, Remove []string
	Replace     bool
	// Description, when not nil, replaces an administrator's list's description (a built-in
	// list's is fixed).
	Description *string
}

// ChangeWarninglist edits an administrator's list or an editable built-in list
// (warninglist.CommunityAssets). Bad entries (invalid, of another entry type, or to remove
// but absent) are all reported in an error wrapping *warninglist.EntriesError, and nothing
// changes. A built-in list that is not editable is ErrConflict (and
// ErrBuiltinWarninglist); an unknown list ErrNotFound.
func (s *Store) ChangeWarninglist(ctx context.Context, name string, c WarninglistChange) (*warninglist.List, error) {
	if c.Replace && len(c.Remove) > 0 {
		return nil, fmt.Errorf("intel store: %w", &intel.InvalidError{Field: "remove", Reason: "replacing a list's entries removes the others: send no entries to remove"})
	}
	b := s.wl.Get(name)
	if b != nil && b.Builtin {
		if !b.Editable {
			return nil, builtinError(name, "its entries are fixed: add yours to "+warninglist.CommunityAssets+" or to a list of your own")
		}
		if c.Description != nil && *c.Description != b.Description {
			return nil, builtinError(name, "its description is fixed")
		}
	}
	var out *warninglist.List
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, found, err := s.readWarninglist(ctx, tx, name)
		if err != nil {
			return err
		}
		if !found {
			if b == nil || !b.Builtin {
				return fmt.Errorf("intel store: warninglist %q: %w", name, ErrNotFound)
			}
			cur, _ = warninglist.New(name, b.Description, nil) // an editable built-in list not yet stored
			cur.EntryType = b.EntryType
		}
		if c.Description != nil && (b == nil || !b.Builtin) {
			cur.Description = *c.Description
		}
		if c.Replace {
			out, err = warninglist.Build(warninglist.Spec{Name: cur.Name, Description: cur.Description, EntryType: cur.EntryType, Entries: c.Add})
			if err != nil {
				var bad *warninglist.EntriesError
				if errors.As(err, &bad) {
					for i := range bad.Errors {
						bad.Errors[i].Field = "add"
					}
				}
				return fmt.Errorf("intel store: %w", err)
			}
		} else if out, err = cur.Change(c.Add, c.Remove); err != nil {
			return fmt.Errorf("intel store: %w", err)
		}
		return s.putWarninglist(ctx, tx, out, !found)
	})
	if err != nil {
		return nil, err
	}
	s.inForce(out)
	s.reflag(ctx)
	return s.wl.Get(name), nil
}

// AddWarninglist stores an administrator's list, replacing the entries and description of
// one of the same name, and puts it in force. Its entries are validated strictly, as by
// CreateWarninglist. Stored and new indicators are flagged against it at once.
func (s *Store) AddWarninglist(ctx context.Context, name, description string, entries []string) (*warninglist.List, error) {
	if b := s.wl.Get(name); b != nil && b.Builtin {
		return nil, builtinError(name, "it cannot be replaced")
	}
	l, err := s.CreateWarninglist(ctx, warninglist.Spec{Name: name, Description: description, Entries: entries})
	if errors.Is(err, ErrConflict) && !errors.Is(err, ErrBuiltinWarninglist) {
		return s.ChangeWarninglist(ctx, name, WarninglistChange{Add: entries, Replace: true, Description: &description})
	}
	return l, err
}

// RemoveWarninglist deletes an administrator's list. A built-in list is ErrConflict (and
// ErrBuiltinWarninglist): empty CommunityAssets by replacing its entries instead.
func (s *Store) RemoveWarninglist(ctx context.Context, name string) error {
	if b := s.wl.Get(name); b != nil && b.Builtin {
		return builtinError(name, "it cannot be deleted")
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM intel_warninglists WHERE name = ?`, name)
		if err != nil {
			return fmt.Errorf("intel store: remove warninglist: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("intel store: warninglist %q: %w", name, ErrNotFound)
		}
		return bumpWarninglists(ctx, tx)
	})
	if err != nil {
		return err
	}
	s.wlMu.Lock()
	s.wl.Remove(name)
	s.wlMu.Unlock()
	s.reflag(ctx)
	return nil
}

// reflag runs Reflag after a list changed. The change is committed by then and the flags are
// derived data, so a failure is not the change's: what it missed is flagged when the
// indicator is next reported.
func (s *Store) reflag(ctx context.Context) { _, _ = s.Reflag(ctx) }

// RefreshWarninglists brings the lists in force up to date with the database, if another
// process changed them since they were last read.
func (s *Store) RefreshWarninglists(ctx context.Context) error {
	s.wlMu.Lock()
	defer s.wlMu.Unlock()
	s.wlChecked.Store(time.Now().UnixNano())
	return s.reloadWarninglists(ctx, false)
}

// inForce puts a list just written by this store in force. The version is left alone: the
// next check reloads everything once, which also picks up writes of other processes.
func (s *Store) inForce(l *warninglist.List) {
	s.wlMu.Lock()
	s.wl.Set(l)
	s.wlMu.Unlock()
}

// maybeRefreshWarninglists reloads the lists when the counter moved, checking at most every
// s.wlEvery; it never waits for another refresh, and a failure leaves the lists in force
// (the next check tries again).
func (s *Store) maybeRefreshWarninglists(ctx context.Context) {
	now := time.Now().UnixNano()
	if now-s.wlChecked.Load() < int64(s.wlEvery) {
		return
	}
	if !s.wlMu.TryLock() {
		return
	}
	defer s.wlMu.Unlock()
	s.wlChecked.Store(now)
	_ = s.reloadWarninglists(ctx, false)
}

// reloadWarninglists reads the administrators' lists when the counter differs from the
// one last read (always when force); s.wlMu is held. The counter is read first, so lists
// newer than it are at worst read again at the next check.
func (s *Store) reloadWarninglists(ctx context.Context, force bool) error {
	var v int64
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM intel_state WHERE name = 'warninglists'`).Scan(&v); err != nil {
		return fmt.Errorf("intel store: warninglists version: %w", err)
	}
	if !force && v == s.wlVersion {
		return nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name, description, entry_type, entries FROM intel_warninglists ORDER BY name`)
	if err != nil {
		return fmt.Errorf("intel store: load warninglists: %w", err)
	}
	defer rows.Close()
	var lists []*warninglist.List
	for rows.Next() {
		var name, desc, typ, ej string
		if err := rows.Scan(&name, &desc, &typ, &ej); err != nil {
			return fmt.Errorf("intel store: load warninglists: %w", err)
		}
		l, err := decodeWarninglist(name, desc, typ, ej)
		if err != nil {
			return err
		}
		lists = append(lists, l)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("intel store: load warninglists: %w", err)
	}
	s.wl.Reset(lists)
	s.wlVersion = v
	return nil
}

func decodeWarninglist(name, desc, typ, ej string) (*warninglist.List, error) {
	var entries []string
	if err := json.Unmarshal([]byte(ej), &entries); err != nil {
		return nil, fmt.Errorf("intel store: warninglist %s: %w", name, err)
	}
	l, err := warninglist.New(name, desc, entries)
	if err != nil {
		return nil, fmt.Errorf("intel store: %w", err)
	}
	if l.EntryType, err = warninglist.ParseEntryType(typ); err != nil {
		return nil, fmt.Errorf("intel store: warninglist %s: %w", name, err)
	}
	return l, nil
}

// readWarninglist reads a stored list in tx.
func (s *Store) readWarninglist(ctx context.Context, tx *sql.Tx, name string) (*warninglist.List, bool, error) {
	var desc, typ, ej string
	err := tx.QueryRowContext(ctx, `SELECT description, entry_type, entries FROM intel_warninglists WHERE name = ?`, name).Scan(&desc, &typ, &ej)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("intel store: warninglist %s: %w", name, err)
	}
	l, err := decodeWarninglist(name, desc, typ, ej)
	return l, err == nil, err
}

// putWarninglist writes l (inserting it when insert) and bumps the counter.
func (s *Store) putWarninglist(ctx context.Context, tx *sql.Tx, l *warninglist.List, insert bool) error {
	ej, err := json.Marshal(nonNilStrings(l.Entries()))
	if err != nil {
		return fmt.Errorf("intel store: warninglist %s: %w", l.Name, err)
	}
	now := ms(s.nowUTC())
	if insert {
		_, err = tx.ExecContext(ctx, `INSERT INTO intel_warninglists (name, description, entry_type, entries, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, l.Name, l.Description, string(l.EntryType), string(ej), now, now)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE intel_warninglists SET description = ?, entries = ?, updated_at = ? WHERE name = ?`,
			l.Description, string(ej), now, l.Name)
	}
	if err != nil {
		return fmt.Errorf("intel store: write warninglist %s: %w", l.Name, err)
	}
	return bumpWarninglists(ctx, tx)
}

func bumpWarninglists(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE intel_state SET value = value + 1 WHERE name = 'warninglists'`); err != nil {
		return fmt.Errorf("intel store: bump warninglists: %w", err)
	}
	return nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
