package store

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/warninglist"
	"github.com/rampartsec/rampart/internal/sqlitedb"
)

func entriesError(t *testing.T, err error) *warninglist.EntriesError {
	t.Helper()
	var bad *warninglist.EntriesError
	if !errors.As(err, &bad) || !errors.Is(err, intel.ErrInvalid) {
		t.Fatalf("err = %v, want a *warninglist.EntriesError wrapping intel.ErrInvalid", err)
	}
	return bad
}

func TestWarninglistLifecycle(t *testing.T) {
	s, _ := newTestStore(t)
	c := newCommunity(t, s)
	ctx := context.Background()

	// Every bad entry is named, and nothing is stored.
	_, err := s.CreateWarninglist(ctx, warninglist.Spec{Name: "members", EntryType: warninglist.EntriesNetwork,
		Entries: []string{"198.51.7.0/24", "10.0.0.300", "members.example-isac.org", "", "2001:db8::/129"}})
	bad := entriesError(t, err)
	var got []string
	for _, e := range bad.Errors {
		got = append(got, e.Field+"/"+e.Entry)
	}
	if bad.Errors[0].Index != 1 || bad.Errors[3].Index != 4 {
		t.Errorf("errors at indexes %d…%d, want 1…4", bad.Errors[0].Index, bad.Errors[3].Index)
	}
	if want := []string{"entries/10.0.0.300", "entries/members.example-isac.org", "entries/", "entries/2001:db8::/129"}; !slices.Equal(got, want) || bad.Total != 4 {
		t.Fatalf("errors %v (total %d), want %v", got, bad.Total, want)
	}
	if _, err := s.GetWarninglist(ctx, "members"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused list was stored: %v", err)
	}

	l, err := s.CreateWarninglist(ctx, warninglist.Spec{Name: "members", Description: "members' networks",
		EntryType: warninglist.EntriesNetwork, Entries: []string{"198.51.7.9/24", "2001:DB8:AAAA::1", "198.51.7.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"198.51.7.0/24", "2001:db8:aaaa::1"}; !slices.Equal(l.Entries(), want) {
		t.Fatalf("entries %v, want canonical, deduplicated %v", l.Entries(), want)
	}
	if _, err := s.CreateWarninglist(ctx, warninglist.Spec{Name: "members"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("a second list of the same name: %v", err)
	}
	for _, name := range []string{warninglist.Private, warninglist.CommunityAssets} {
		if _, err := s.CreateWarninglist(ctx, warninglist.Spec{Name: name}); !errors.Is(err, ErrBuiltinWarninglist) || !errors.Is(err, ErrConflict) {
			t.Fatalf("creating a list named like built-in %s: %v", name, err)
		}
	}
	if _, err := s.CreateWarninglist(ctx, warninglist.Spec{Name: "Our Assets"}); !errors.Is(err, intel.ErrInvalid) {
		t.Fatalf("a bad name: %v", err)
	}

	// A change is all or nothing: one absent entry to remove refuses the additions too.
	_, err = s.ChangeWarninglist(ctx, "members", WarninglistChange{Add: []string{"203.0.113.0/25"}, Remove: []string{"198.51.7.0/24", "192.0.2.1"}})
	bad = entriesError(t, err)
	if len(bad.Errors) != 1 || bad.Errors[0].Field != "remove" || bad.Errors[0].Index != 1 || bad.Errors[0].Entry != "192.0.2.1" {
		t.Fatalf("errors %+v", bad.Errors)
	}
	if l, _ := s.GetWarninglist(ctx, "members"); l.Len() != 2 {
		t.Fatalf("a refused change was applied: %v", l.Entries())
	}
	desc := "members' networks and services"
	l, err = s.ChangeWarninglist(ctx, "members", WarninglistChange{Add: []string{"203.0.113.0/25"}, Remove: []string{"2001:db8:aaaa:0::1"}, Description: &desc})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"198.51.7.0/24", "203.0.113.0/25"}; !slices.Equal(l.Entries(), want) || l.Description != desc {
		t.Fatalf("after the change: %v %q", l.Entries(), l.Description)
	}

	// An indicator reported afterwards is flagged with the list.
	res, _, err := s.CreateIndicator(ctx, c.acme, intel.Input{Value: "198.51.7.77"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Warninglists, []string{"members"}) {
		t.Fatalf("warninglists = %v, want [members]", res.Warninglists)
	}
	if v, _ := s.GetIndicator(ctx, c.beta, res.IndicatorID); !slices.Equal(v.Warninglists, []string{"members"}) {
		t.Fatalf("stored flag = %v", v.Warninglists)
	}

	// Built-in lists: the fixed ones cannot change, none can be deleted, and the community's
	// own assets take entries.
	if _, err := s.ChangeWarninglist(ctx, warninglist.Popular, WarninglistChange{Add: []string{"example-isac.org"}}); !errors.Is(err, ErrBuiltinWarninglist) {
		t.Fatalf("adding to a fixed built-in list: %v", err)
	}
	for _, name := range []string{warninglist.Private, warninglist.CommunityAssets} {
		if err := s.RemoveWarninglist(ctx, name); !errors.Is(err, ErrBuiltinWarninglist) || !errors.Is(err, ErrConflict) {
			t.Fatalf("deleting built-in %s: %v", name, err)
		}
	}
	if _, err := s.ChangeWarninglist(ctx, warninglist.CommunityAssets, WarninglistChange{Add: []string{"*.example-isac.org", "portal.member-bank.org"}}); err != nil {
		t.Fatal(err)
	}
	if got := s.Warninglists().Match(intel.TypeDomain, "intranet.example-isac.org"); !slices.Equal(got, []string{warninglist.CommunityAssets}) {
		t.Fatalf("community assets: %v", got)
	}
	if l, _ := s.GetWarninglist(ctx, warninglist.CommunityAssets); !l.Builtin || !l.Editable || l.Len() != 2 {
		t.Fatalf("community assets: %+v", l)
	}
	if _, err := s.ChangeWarninglist(ctx, "nope", WarninglistChange{Add: []string{"192.0.2.1"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("changing a missing list: %v", err)
	}

	if err := s.RemoveWarninglist(ctx, "members"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveWarninglist(ctx, "members"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removing it twice: %v", err)
	}
	if got := s.Warninglists().Match(intel.TypeIPv4, "198.51.7.77"); got != nil {
		t.Fatalf("a deleted list still matches: %v", got)
	}
	// Reopened, the store has the community's assets still.
	s2, err := Open(ctx, s.DB(), Options{Key: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.Warninglists().Match(intel.TypeDomain, "portal.member-bank.org"); !slices.Equal(got, []string{warninglist.CommunityAssets}) {
		t.Fatalf("after reopening: %v", got)
	}
}

// TestWarninglistsSeenAcrossProcesses: a change made by another process on the same database
// (the CLI on the data directory, another server) reaches this store's flagging and the
// guard's matcher without a restart.
func TestWarninglistsSeenAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), sqlitedb.FileName)
	open := func() *Store {
		db, err := sqlitedb.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s, err := Open(ctx, db, Options{Key: []byte("0123456789abcdef0123456789abcdef")})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	server, cli := open(), open()
	server.wlEvery = 0 // check on every use; WarninglistRefresh in production
	c := newCommunity(t, server)
	matcher := server.Warninglists()
	if got := matcher.Match(intel.TypeIPv4, "198.51.100.200"); !slices.Equal(got, []string{warninglist.Documentation}) {
		t.Fatalf("before: %v", got)
	}
	if _, err := cli.CreateWarninglist(ctx, warninglist.Spec{Name: "soc-resolvers", Entries: []string{"198.51.100.200", "9.9.9.9"}}); err != nil {
		t.Fatal(err)
	}
	if got := matcher.Match(intel.TypeIPv4, "9.9.9.9"); !slices.Equal(got, []string{"soc-resolvers"}) {
		t.Fatalf("the guard's matcher missed another process's list: %v", got)
	}
	res, _, err := server.CreateIndicator(ctx, c.acme, intel.Input{Value: "9.9.9.9"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Warninglists, []string{"soc-resolvers"}) {
		t.Fatalf("an indicator written after another process's change: %v", res.Warninglists)
	}
	if _, err := cli.ChangeWarninglist(ctx, warninglist.CommunityAssets, WarninglistChange{Add: []string{"8.8.4.0/24"}}); err != nil {
		t.Fatal(err)
	}
	if err := cli.RemoveWarninglist(ctx, "soc-resolvers"); err != nil {
		t.Fatal(err)
	}
	if got := matcher.Match(intel.TypeIPv4, "9.9.9.9"); got != nil {
		t.Fatalf("a list another process deleted still matches: %v", got)
	}
	if got := matcher.Match(intel.TypeIPv4, "8.8.4.4"); !slices.Equal(got, []string{warninglist.CommunityAssets}) {
		t.Fatalf("community assets another process added: %v", got)
	}
	// With the production interval, a fresh change waits for the next check, or an explicit refresh.
	server.wlEvery = WarninglistRefresh
	server.wlChecked.Store(0)
	matcher.Match(intel.TypeIPv4, "8.8.4.4") // checks now; the next check is WarninglistRefresh away
	if _, err := cli.ChangeWarninglist(ctx, warninglist.CommunityAssets, WarninglistChange{Add: []string{"1.1.1.1"}}); err != nil {
		t.Fatal(err)
	}
	if err := server.RefreshWarninglists(ctx); err != nil {
		t.Fatal(err)
	}
	if got := matcher.Match(intel.TypeIPv4, "1.1.1.1"); !slices.Equal(got, []string{warninglist.CommunityAssets}) {
		t.Fatalf("after RefreshWarninglists: %v", got)
	}
}

// TestReflagStoredIndicators: an indicator stored before a list changed is flagged when the
// list takes its value, unflagged when the entry (or the list) goes, and other indicators are
// left alone.
func TestReflagStoredIndicators(t *testing.T) {
	s, _ := newTestStore(t)
	c := newCommunity(t, s)
	ctx := context.Background()
	ids := map[string]string{}
	for _, v := range []string{"45.9.148.7", "45.9.149.7", "portal.acme-energy.com"} {
		res, _, err := s.CreateIndicator(ctx, c.acme, intel.Input{Value: v})
		if err != nil {
			t.Fatal(err)
		}
		ids[v] = res.IndicatorID
	}
	flags := func() map[string][]string {
		out := map[string][]string{}
		for v, id := range ids {
			ind, err := s.Indicator(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			out[v] = ind.Warninglists
		}
		return out
	}
	steps := []struct {
		name   string
		change func() error
		want   map[string][]string
	}{
		{"a community asset added", func() error {
			_, err := s.ChangeWarninglist(ctx, warninglist.CommunityAssets, WarninglistChange{Add: []string{"45.9.148.0/24"}})
			return err
		}, map[string][]string{"45.9.148.7": {warninglist.CommunityAssets}}},
		{"a list of the admins' own", func() error {
			_, err := s.CreateWarninglist(ctx, warninglist.Spec{Name: "members", Entries: []string{"*.acme-energy.com", "45.9.148.7"}})
			return err
		}, map[string][]string{"45.9.148.7": {warninglist.CommunityAssets, "members"}, "portal.acme-energy.com": {"members"}}},
		{"the community asset removed", func() error {
			_, err := s.ChangeWarninglist(ctx, warninglist.CommunityAssets, WarninglistChange{Remove: []string{"45.9.148.0/24"}})
			return err
		}, map[string][]string{"45.9.148.7": {"members"}, "portal.acme-energy.com": {"members"}}},
		{"the admins' list removed", func() error { return s.RemoveWarninglist(ctx, "members") }, map[string][]string{}},
	}
	for _, st := range steps {
		if err := st.change(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := flags()
		for v := range ids {
			if !slices.Equal(got[v], st.want[v]) && (len(got[v]) != 0 || len(st.want[v]) != 0) {
				t.Errorf("%s: %s flagged %v, want %v", st.name, v, got[v], st.want[v])
			}
		}
	}
	if n, err := s.Reflag(ctx); err != nil || n != 0 {
		t.Fatalf("Reflag with nothing changed: %d %v, want 0", n, err)
	}
}
