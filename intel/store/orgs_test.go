package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/intel"
)

func TestOrgsUsersAndTokens(t *testing.T) {
	s, clk := newTestStore(t)
	c := newCommunity(t, s)
	ctx := context.Background()
	if _, err := s.CreateOrg(ctx, "acme", "again"); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate organisation: %v", err)
	}
	if _, err := s.CreateOrg(ctx, "Bad Org", ""); !errors.Is(err, intel.ErrInvalid) {
		t.Fatalf("invalid organisation id: %v", err)
	}
	acme, _ := s.GetOrg(ctx, "acme")
	beta, _ := s.GetOrg(ctx, "beta")
	if acme.Pseudonym == "" || acme.Pseudonym == beta.Pseudonym || strings.Contains(acme.Pseudonym, "acme") {
		t.Fatalf("pseudonyms %q and %q", acme.Pseudonym, beta.Pseudonym)
	}
	u, err := s.CreateUser(ctx, "beta", "alice", []intel.Role{intel.RoleAnalyst})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "beta", "bob", []intel.Role{"wizard"}); !errors.Is(err, intel.ErrInvalid) {
		t.Fatalf("unknown role: %v", err)
	}
	if _, err := s.CreateUser(ctx, "beta", "alice", nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate user: %v", err)
	}
	plain, tok, err := s.CreateToken(ctx, u.ID, "ci", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(plain, TokenPrefix) || len(plain) < 60 {
		t.Fatalf("token %q", plain)
	}
	var stored string
	s.DB().QueryRow(`SELECT hash FROM intel_tokens WHERE id = ?`, tok.ID).Scan(&stored)
	if stored == "" || strings.Contains(stored, plain[len(TokenPrefix):]) || stored != tokenHash(plain) {
		t.Fatalf("token stored as %q", stored)
	}
	v, err := s.Authenticate(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	if v.Org != "beta" || v.User != u.ID || !slices.Equal(v.Roles, []intel.Role{intel.RoleAnalyst}) || !slices.Equal(v.Groups, c.beta.Groups) {
		t.Fatalf("viewer = %+v", v)
	}
	if _, err := s.Authenticate(ctx, plain+"x"); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("a wrong token: %v", err)
	}
	toks, _ := s.ListTokens(ctx, u.ID)
	if len(toks) != 1 || toks[0].LastUsedAt.IsZero() {
		t.Fatalf("tokens = %+v", toks)
	}
	clk.Add(2 * time.Hour)
	if _, err := s.Authenticate(ctx, plain); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("an expired token: %v", err)
	}
	plain2, tok2, _ := s.CreateToken(ctx, u.ID, "forever", time.Time{})
	if err := s.RevokeToken(ctx, tok2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, plain2); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("a revoked token: %v", err)
	}
	if err := s.SetUserRoles(ctx, u.ID, []intel.Role{intel.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetUser(ctx, u.ID)
	if !slices.Equal(got.Roles, []intel.Role{intel.RoleViewer}) {
		t.Fatalf("roles = %v", got.Roles)
	}
}

func TestGroupsBumpGeneration(t *testing.T) {
	s, _ := newTestStore(t)
	c := newCommunity(t, s)
	ctx := context.Background()
	g0, _ := s.Generation(ctx)
	if err := s.AddGroupMember(ctx, c.group, "gamma"); err != nil {
		t.Fatal(err)
	}
	g1, _ := s.Generation(ctx)
	if g1 <= g0 {
		t.Fatal("a membership change did not move the generation")
	}
	grp, _ := s.GetGroup(ctx, c.group)
	if !slices.Equal(grp.Members, []string{"acme", "beta", "gamma"}) {
		t.Fatalf("members = %v", grp.Members)
	}
	if err := s.RemoveGroupMember(ctx, c.group, "acme"); !errors.Is(err, ErrConflict) {
		t.Fatalf("the owner left its group: %v", err)
	}
	if err := s.RemoveGroupMember(ctx, c.group, "gamma"); err != nil {
		t.Fatal(err)
	}
	gs, _ := s.ListGroups(ctx, c.gamma)
	if len(gs) != 0 {
		t.Fatalf("gamma lists groups it is not in: %+v", gs)
	}
	if gs, _ := s.ListGroups(ctx, c.admin); len(gs) != 1 {
		t.Fatalf("a community admin lists %d groups, want 1", len(gs))
	}
}

func TestPlaybookVersions(t *testing.T) {
	s, _ := newTestStore(t)
	newCommunity(t, s)
	ctx := context.Background()
	p := PlaybookVersion{Org: "acme", Name: "block", Source: []byte("v1"), Hash: "h1", TriggerKind: "indicator",
		Types: []string{"ipv4"}, Events: []string{"created"}}
	v1, created, err := s.SavePlaybook(ctx, p)
	if err != nil || !created || v1.Version != 1 {
		t.Fatalf("first save: %+v %v %v", v1, created, err)
	}
	again, created, _ := s.SavePlaybook(ctx, p)
	if created || again.Version != 1 {
		t.Fatalf("saving the same source made version %d", again.Version)
	}
	p.Source, p.Hash = []byte("v2"), "h2"
	v2, created, _ := s.SavePlaybook(ctx, p)
	if !created || v2.Version != 2 {
		t.Fatalf("second save: %+v", v2)
	}
	if en, _ := s.EnabledPlaybooks(ctx); len(en) != 0 {
		t.Fatal("a new playbook is enabled")
	}
	if err := s.SetPlaybookEnabled(ctx, "acme", "block", true); err != nil {
		t.Fatal(err)
	}
	en, _ := s.EnabledPlaybooks(ctx)
	if len(en) != 1 || en[0].Version != 2 || string(en[0].Source) != "v2" || !slices.Equal(en[0].Types, []string{"ipv4"}) {
		t.Fatalf("enabled = %+v", en)
	}
	old, err := s.GetPlaybookVersion(ctx, "acme", "block", 1)
	if err != nil || string(old.Source) != "v1" {
		t.Fatalf("version 1: %+v %v", old, err)
	}
	if _, err := s.GetPlaybookVersion(ctx, "acme", "block", 3); !errors.Is(err, ErrNotFound) {
		t.Fatalf("version 3: %v", err)
	}
	if _, _, err := s.SavePlaybook(ctx, PlaybookVersion{Org: "nobody", Name: "x", Source: []byte("s"), Hash: "h", TriggerKind: "manual"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a playbook of an unknown organisation: %v", err)
	}
	if err := s.SetPlaybookEnabled(ctx, "acme", "nope", true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("enabling a missing playbook: %v", err)
	}
}

func TestAdminWarninglistsPersist(t *testing.T) {
	s, _ := newTestStore(t)
	c := newCommunity(t, s)
	ctx := context.Background()
	if _, err := s.AddWarninglist(ctx, "our-assets", "members' networks", []string{"11.22.0.0/16", "*.isac-members.net"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddWarninglist(ctx, "private-ranges", "", []string{"1.1.1.1"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("replacing a built-in list: %v", err)
	}
	if _, err := s.AddWarninglist(ctx, "broken", "", []string{"what is this"}); !errors.Is(err, intel.ErrInvalid) {
		t.Fatalf("an invalid entry: %v", err)
	}
	// A store opened again on the same database has the list.
	s2, err := Open(ctx, s.DB(), Options{Key: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := s2.CreateIndicator(ctx, c.acme, intel.Input{Value: "vpn.isac-members.net"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Warninglists, []string{"our-assets"}) {
		t.Fatalf("warninglists = %v", res.Warninglists)
	}
	v, _ := s2.GetIndicator(ctx, c.beta, res.IndicatorID)
	if !slices.Equal(v.Warninglists, []string{"our-assets"}) {
		t.Fatalf("stored flag = %v", v.Warninglists)
	}
	if err := s2.RemoveWarninglist(ctx, "our-assets"); err != nil {
		t.Fatal(err)
	}
	if got := s2.Warninglists().Match(intel.TypeIPv4, "11.22.3.4"); got != nil {
		t.Fatalf("a removed list still matches: %v", got)
	}
}

func TestOpenDirKeepsItsKey(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s.CreateOrg(ctx, "acme", "")
	v, _ := s.ViewerForOrg(ctx, "acme")
	res, _, err := s.CreateIndicator(ctx, v, intel.Input{Value: "tip.example-bad.org", Attribution: intel.Anonymous})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if fi, err := os.Stat(filepath.Join(dir, KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v, want mode 0600", fi, err)
	}
	s, err = OpenDir(ctx, dir) // the key file is reused: the proof still works
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WithdrawReport(ctx, v, res.ReportID, res.Proof); err != nil {
		t.Fatalf("the proof stopped working after a restart: %v", err)
	}
}
