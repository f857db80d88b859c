package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rampartsec/rampart/intel"
)

// Group is a sharing group: a named set of member organisations that objects can be shared
// with (intel.ScopeGroups).
type Group struct {
	ID          string    `json:"id"`
	Owner       string    `json:"owner"` // the organisation that manages it
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Members     []string  `json:"members"` // organisation ids, sorted
	CreatedAt   time.Time `json:"created_at"`
}

// CreateGroup makes a sharing group owned (and joined) by owner; ErrConflict on a taken name.
func (s *Store) CreateGroup(ctx context.Context, owner, name, description string) (Group, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Group{}, fmt.Errorf("intel store: create group: %w", &intel.InvalidError{Field: "name", Reason: "empty"})
	}
	g := Group{ID: s.newID(), Owner: owner, Name: name, Description: description, Members: []string{owner}, CreatedAt: s.nowUTC()}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO intel_groups (id, owner_org, name, description, created_at) VALUES (?, ?, ?, ?, ?)`,
			g.ID, g.Owner, g.Name, g.Description, ms(g.CreatedAt)); err != nil {
			if isUnique(err) {
				return fmt.Errorf("intel store: group %q: %w", name, ErrConflict)
			}
			if strings.Contains(err.Error(), "FOREIGN KEY") {
				return fmt.Errorf("intel store: organisation %q: %w", owner, ErrNotFound)
			}
			return fmt.Errorf("intel store: create group: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO intel_group_members (group_id, org_id) VALUES (?, ?)`, g.ID, owner); err != nil {
			return fmt.Errorf("intel store: create group: %w", err)
		}
		return bumpGeneration(ctx, tx)
	})
	if err != nil {
		return Group{}, err
	}
	return g, nil
}

// GetGroup returns a sharing group with its members.
func (s *Store) GetGroup(ctx context.Context, id string) (Group, error) {
	var g Group
	var c int64
	err := s.db.QueryRowContext(ctx, `SELECT id, owner_org, name, description, created_at FROM intel_groups WHERE id = ?`, id).
		Scan(&g.ID, &g.Owner, &g.Name, &g.Description, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return Group{}, fmt.Errorf("intel store: group %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Group{}, fmt.Errorf("intel store: get group: %w", err)
	}
	g.CreatedAt = fromMS(c)
	rows, err := s.db.QueryContext(ctx, `SELECT org_id FROM intel_group_members WHERE group_id = ? ORDER BY org_id`, id)
	if err != nil {
		return Group{}, fmt.Errorf("intel store: group members: %w", err)
	}
	defer rows.Close()
	g.Members = []string{}
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return Group{}, fmt.Errorf("intel store: group members: %w", err)
		}
		g.Members = append(g.Members, m)
	}
	return g, rows.Err()
}

// ListGroups returns the groups v's organisation belongs to; a community admin sees all.
func (s *Store) ListGroups(ctx context.Context, v intel.Viewer) ([]Group, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM intel_groups ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("intel store: list groups: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("intel store: list groups: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []Group
	for _, id := range ids {
		g, err := s.GetGroup(ctx, id)
		if err != nil {
			return nil, err
		}
		if v.Can(intel.PermCommunityManage) || slices.Contains(g.Members, v.Org) {
			out = append(out, g)
		}
	}
	return out, nil
}

// AddGroupMember adds an organisation to a group (idempotent).
func (s *Store) AddGroupMember(ctx context.Context, groupID, org string) error {
	if _, err := s.GetGroup(ctx, groupID); err != nil {
		return err
	}
	if _, err := s.GetOrg(ctx, org); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO intel_group_members (group_id, org_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, groupID, org); err != nil {
			return fmt.Errorf("intel store: add group member: %w", err)
		}
		return bumpGeneration(ctx, tx)
	})
}

// RemoveGroupMember removes an organisation from a group; the group's owner stays.
func (s *Store) RemoveGroupMember(ctx context.Context, groupID, org string) error {
	g, err := s.GetGroup(ctx, groupID)
	if err != nil {
		return err
	}
	if g.Owner == org {
		return fmt.Errorf("intel store: the owner cannot leave group %q: %w", g.Name, ErrConflict)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM intel_group_members WHERE group_id = ? AND org_id = ?`, groupID, org)
		if err != nil {
			return fmt.Errorf("intel store: remove group member: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("intel store: %q is not in group %q: %w", org, g.Name, ErrNotFound)
		}
		return bumpGeneration(ctx, tx)
	})
}
