package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rampartsec/rampart/intel"
)

// Org is a member organisation.
type Org struct {
	ID        string    `json:"id"`   // a slug: lower-case letters, digits, hyphens; used in workflow ids
	Name      string    `json:"name"` // display name
	Pseudonym string    `json:"-"`    // stable; shown instead of ID on pseudonymous reports
	CreatedAt time.Time `json:"created_at"`
}

// ValidSlug reports whether s may be an organisation id or a playbook name (intel.ValidSlug).
func ValidSlug(s string) bool { return intel.ValidSlug(s) }

// CreateOrg adds an organisation with a fresh pseudonym; ErrConflict when id exists.
func (s *Store) CreateOrg(ctx context.Context, id, name string) (Org, error) {
	if !ValidSlug(id) {
		return Org{}, fmt.Errorf("intel store: create organisation: %w", &intel.InvalidError{Field: "id",
			Reason: fmt.Sprintf("%q is not a slug: use 1-63 lower-case letters, digits and hyphens", id)})
	}
	if strings.TrimSpace(name) == "" {
		name = id
	}
	o := Org{ID: id, Name: name, Pseudonym: "member-" + randomSecret(5), CreatedAt: s.nowUTC()}
	_, err := s.db.ExecContext(ctx, `INSERT INTO intel_orgs (id, name, pseudonym, created_at) VALUES (?, ?, ?, ?)`,
		o.ID, o.Name, o.Pseudonym, ms(o.CreatedAt))
	if err != nil {
		if isUnique(err) {
			return Org{}, fmt.Errorf("intel store: organisation %q: %w", id, ErrConflict)
		}
		return Org{}, fmt.Errorf("intel store: create organisation: %w", err)
	}
	return o, nil
}

// GetOrg returns an organisation.
func (s *Store) GetOrg(ctx context.Context, id string) (Org, error) {
	var o Org
	var c int64
	err := s.db.QueryRowContext(ctx, `SELECT id, name, pseudonym, created_at FROM intel_orgs WHERE id = ?`, id).
		Scan(&o.ID, &o.Name, &o.Pseudonym, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return Org{}, fmt.Errorf("intel store: organisation %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Org{}, fmt.Errorf("intel store: get organisation: %w", err)
	}
	o.CreatedAt = fromMS(c)
	return o, nil
}

// ListOrgs returns every organisation, by id.
func (s *Store) ListOrgs(ctx context.Context) ([]Org, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, pseudonym, created_at FROM intel_orgs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("intel store: list organisations: %w", err)
	}
	defer rows.Close()
	var out []Org
	for rows.Next() {
		var o Org
		var c int64
		if err := rows.Scan(&o.ID, &o.Name, &o.Pseudonym, &c); err != nil {
			return nil, fmt.Errorf("intel store: list organisations: %w", err)
		}
		o.CreatedAt = fromMS(c)
		out = append(out, o)
	}
	return out, rows.Err()
}

// User is a person (or API client) of an organisation.
type User struct {
	ID        string       `json:"id"`
	Org       string       `json:"org"`
	Name      string       `json:"name"`
	Roles     []intel.Role `json:"roles"`
	CreatedAt time.Time    `json:"created_at"`
}

func checkRoles(roles []intel.Role) error {
	for _, r := range roles {
		if _, err := intel.ParseRole(string(r)); err != nil {
			return err
		}
	}
	return nil
}

// CreateUser adds a user to an organisation; ErrConflict when the name is taken there.
func (s *Store) CreateUser(ctx context.Context, org, name string, roles []intel.Role) (User, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return User{}, fmt.Errorf("intel store: create user: %w", &intel.InvalidError{Field: "name", Reason: "empty"})
	}
	if err := checkRoles(roles); err != nil {
		return User{}, fmt.Errorf("intel store: create user: %w", err)
	}
	if _, err := s.GetOrg(ctx, org); err != nil {
		return User{}, err
	}
	u := User{ID: s.newID(), Org: org, Name: name, Roles: roles, CreatedAt: s.nowUTC()}
	if u.Roles == nil {
		u.Roles = []intel.Role{}
	}
	rj, _ := json.Marshal(u.Roles)
	_, err := s.db.ExecContext(ctx, `INSERT INTO intel_users (id, org_id, name, roles, created_at) VALUES (?, ?, ?, ?, ?)`,
		u.ID, u.Org, u.Name, string(rj), ms(u.CreatedAt))
	if err != nil {
		if isUnique(err) {
			return User{}, fmt.Errorf("intel store: user %q in %q: %w", name, org, ErrConflict)
		}
		return User{}, fmt.Errorf("intel store: create user: %w", err)
	}
	return u, nil
}

const userCols = `id, org_id, name, roles, created_at`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var rj string
	var c int64
	if err := sc.Scan(&u.ID, &u.Org, &u.Name, &rj, &c); err != nil {
		return User{}, err
	}
	if err := json.Unmarshal([]byte(rj), &u.Roles); err != nil {
		return User{}, fmt.Errorf("roles of user %s: %w", u.ID, err)
	}
	u.CreatedAt = fromMS(c)
	return u, nil
}

// GetUser returns a user.
func (s *Store) GetUser(ctx context.Context, id string) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM intel_users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("intel store: user %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("intel store: get user: %w", err)
	}
	return u, nil
}

// ListUsers returns an organisation's users, by name.
func (s *Store) ListUsers(ctx context.Context, org string) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM intel_users WHERE org_id = ? ORDER BY name`, org)
	if err != nil {
		return nil, fmt.Errorf("intel store: list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("intel store: list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetUserRoles replaces a user's roles.
func (s *Store) SetUserRoles(ctx context.Context, id string, roles []intel.Role) error {
	if err := checkRoles(roles); err != nil {
		return fmt.Errorf("intel store: set roles: %w", err)
	}
	if roles == nil {
		roles = []intel.Role{}
	}
	rj, _ := json.Marshal(roles)
	res, err := s.db.ExecContext(ctx, `UPDATE intel_users SET roles = ? WHERE id = ?`, string(rj), id)
	if err != nil {
		return fmt.Errorf("intel store: set roles: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("intel store: user %q: %w", id, ErrNotFound)
	}
	return nil
}

// Token describes an API token; the token itself is never stored, only its SHA-256.
type Token struct {
	ID         string    `json:"id"`
	User       string    `json:"user"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"` // zero: never
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// TokenPrefix starts every API token, so secret scanners recognise one.
const TokenPrefix = "rmp_"

// CreateToken makes an API token for a user and returns it in plain text: the only time it
// is available. expiresAt zero means it never expires.
func (s *Store) CreateToken(ctx context.Context, userID, name string, expiresAt time.Time) (string, Token, error) {
	if _, err := s.GetUser(ctx, userID); err != nil {
		return "", Token{}, err
	}
	plain := TokenPrefix + randomSecret(32)
	t := Token{ID: s.newID(), User: userID, Name: name, CreatedAt: s.nowUTC(), ExpiresAt: expiresAt.UTC()}
	if expiresAt.IsZero() {
		t.ExpiresAt = time.Time{}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO intel_tokens (id, user_id, name, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, t.User, t.Name, tokenHash(plain), ms(t.CreatedAt), ms(t.ExpiresAt))
	if err != nil {
		return "", Token{}, fmt.Errorf("intel store: create token: %w", err)
	}
	return plain, t, nil
}

// Authenticate looks a plain token up by its hash and returns the viewer it acts as:
// the user's organisation, id, roles and the organisation's sharing groups.
// ErrUnauthenticated for an unknown, revoked or expired token.
func (s *Store) Authenticate(ctx context.Context, token string) (intel.Viewer, error) {
	var tokenID string
	var expires, revoked, lastUsed int64
	var u User
	var rj string
	var c int64
	err := s.db.QueryRowContext(ctx, `SELECT t.id, t.expires_at, t.revoked_at, t.last_used_at, u.id, u.org_id, u.name, u.roles, u.created_at
		FROM intel_tokens t JOIN intel_users u ON u.id = t.user_id WHERE t.hash = ?`, tokenHash(token)).
		Scan(&tokenID, &expires, &revoked, &lastUsed, &u.ID, &u.Org, &u.Name, &rj, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return intel.Viewer{}, fmt.Errorf("intel store: token: %w", ErrUnauthenticated)
	}
	if err != nil {
		return intel.Viewer{}, fmt.Errorf("intel store: authenticate: %w", err)
	}
	now := s.nowUTC()
	if revoked != 0 || (expires != 0 && now.UnixMilli() >= expires) {
		return intel.Viewer{}, fmt.Errorf("intel store: token revoked or expired: %w", ErrUnauthenticated)
	}
	if err := json.Unmarshal([]byte(rj), &u.Roles); err != nil {
		return intel.Viewer{}, fmt.Errorf("intel store: roles of user %s: %w", u.ID, err)
	}
	// last_used_at is kept to the minute: a write on every request would contend with ingest.
	if now.UnixMilli()-lastUsed >= time.Minute.Milliseconds() {
		if _, err := s.db.ExecContext(ctx, `UPDATE intel_tokens SET last_used_at = ? WHERE id = ?`, ms(now), tokenID); err != nil {
			return intel.Viewer{}, fmt.Errorf("intel store: authenticate: %w", err)
		}
	}
	v, err := s.ViewerForOrg(ctx, u.Org)
	if err != nil {
		return intel.Viewer{}, err
	}
	v.User, v.Roles = u.ID, u.Roles
	return v, nil
}

// RevokeToken revokes a token by id.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE intel_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, ms(s.nowUTC()), id)
	if err != nil {
		return fmt.Errorf("intel store: revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("intel store: token %q: %w", id, ErrNotFound)
	}
	return nil
}

// ListTokens returns a user's live tokens (never the tokens themselves).
func (s *Store) ListTokens(ctx context.Context, userID string) ([]Token, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, user_id, name, created_at, expires_at, last_used_at
		FROM intel_tokens WHERE user_id = ? AND revoked_at = 0 ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("intel store: list tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var c, e, l int64
		if err := rows.Scan(&t.ID, &t.User, &t.Name, &c, &e, &l); err != nil {
			return nil, fmt.Errorf("intel store: list tokens: %w", err)
		}
		t.CreatedAt, t.ExpiresAt, t.LastUsedAt = fromMS(c), fromMS(e), fromMS(l)
		out = append(out, t)
	}
	return out, rows.Err()
}

// ViewerForOrg returns the organisation-level viewer of org: no user, no roles, its sharing
// groups. The trigger router evaluates each playbook as its organisation's viewer.
func (s *Store) ViewerForOrg(ctx context.Context, org string) (intel.Viewer, error) {
	if _, err := s.GetOrg(ctx, org); err != nil {
		return intel.Viewer{}, err
	}
	groups, err := s.orgGroups(ctx, s.db, org)
	if err != nil {
		return intel.Viewer{}, err
	}
	return intel.Viewer{Org: org, Groups: groups}, nil
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func (s *Store) orgGroups(ctx context.Context, q querier, org string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT group_id FROM intel_group_members WHERE org_id = ? ORDER BY group_id`, org)
	if err != nil {
		return nil, fmt.Errorf("intel store: groups of %s: %w", org, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, fmt.Errorf("intel store: groups of %s: %w", org, err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func isUnique(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "UNIQUE constraint") || strings.Contains(err.Error(), "duplicate key"))
}
