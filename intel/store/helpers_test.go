package store

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/internal/sqlitedb"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newTestStore opens a store on a fresh database file.
func newTestStore(t testing.TB) (*Store, *clock) {
	t.Helper()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), sqlitedb.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{t: t0}
	s, err := Open(context.Background(), db, Options{Key: []byte("0123456789abcdef0123456789abcdef"), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// community holds three organisations, a sharing group of acme and beta, and viewers.
type community struct {
	acme, beta, gamma intel.Viewer // org-level viewers
	admin             intel.Viewer // a community admin of gamma
	group             string
}

func newCommunity(t testing.TB, s *Store) community {
	t.Helper()
	ctx := context.Background()
	for _, o := range []string{"acme", "beta", "gamma"} {
		if _, err := s.CreateOrg(ctx, o, o+" inc"); err != nil {
			t.Fatal(err)
		}
	}
	g, err := s.CreateGroup(ctx, "acme", "finance", "banks")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddGroupMember(ctx, g.ID, "beta"); err != nil {
		t.Fatal(err)
	}
	var c community
	c.group = g.ID
	for _, p := range []struct {
		v   *intel.Viewer
		org string
	}{{&c.acme, "acme"}, {&c.beta, "beta"}, {&c.gamma, "gamma"}} {
		v, err := s.ViewerForOrg(ctx, p.org)
		if err != nil {
			t.Fatal(err)
		}
		*p.v = v
	}
	c.admin = c.gamma
	c.admin.User, c.admin.Roles = "u-admin", []intel.Role{intel.RoleCommunityAdmin}
	return c
}

func ptr[T any](v T) *T { return &v }
