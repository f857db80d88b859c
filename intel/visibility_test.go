package intel

import (
	"fmt"
	"testing"
)

// The viewer kinds of the visibility matrix. The object's owner is acme; the sharing group
// "finance" has acme and beta; gamma is another member.
var viewerKinds = []struct {
	code string
	name string
	v    Viewer
}{
	{"O", "owner organisation", Viewer{Org: "acme", Groups: []string{"finance"}}},
	{"U", "owner's analyst", Viewer{Org: "acme", User: "u1", Roles: []Role{RoleAnalyst}, Groups: []string{"finance"}}},
	{"P", "owner's plugin admin (no intel:read)", Viewer{Org: "acme", User: "u2", Roles: []Role{RolePluginAdmin}, Groups: []string{"finance"}}},
	{"G", "group member", Viewer{Org: "beta", Groups: []string{"finance", "other"}}},
	{"M", "other member", Viewer{Org: "gamma", Groups: []string{"other"}}},
	{"A", "community admin outside the group", Viewer{Org: "gamma", User: "u3", Roles: []Role{RoleCommunityAdmin}}},
	{"N", "no organisation", Viewer{}},
}

// wantVisible lists, per TLP and scope, which viewer kinds (in viewerKinds order: O U P G M
// A N) see the object: attributed to acme, and anonymous (contributed by acme, whom the
// store does not record). The anonymous contributor sees its report only as the member
// (of the group, of the community) it is.
var wantVisible = map[string][2]string{
	//                       attributed  anonymous
	"clear/owner":            {"1100000", "0000000"},
	"green/owner":            {"1100000", "0000000"},
	"amber/owner":            {"1100000", "0000000"},
	"amber+strict/owner":     {"1100000", "0000000"},
	"red/owner":              {"1100000", "0000000"},
	"clear/groups":           {"1101010", "1101010"},
	"green/groups":           {"1101010", "1101010"},
	"amber/groups":           {"1101000", "1101000"},
	"amber+strict/groups":    {"1101000", "1101000"},
	"red/groups":             {"1101000", "1101000"},
	"clear/community":        {"1101111", "1101111"},
	"green/community":        {"1101110", "1101110"},
	"amber/community":        {"1101110", "1101110"},
	"amber+strict/community": {"1101110", "1101110"},
	"red/community":          {"1100000", "0000000"},
}

func TestCanSeeEveryCombination(t *testing.T) {
	n := 0
	for _, tlp := range TLPs {
		for _, scope := range Scopes {
			want, ok := wantVisible[fmt.Sprintf("%s/%s", tlp, scope)]
			if !ok {
				t.Fatalf("no expectation for %s/%s", tlp, scope)
			}
			for ai, owner := range []string{"acme", ""} {
				o := Visibility{Owner: owner, TLP: tlp, Scope: scope}
				if scope == ScopeGroups {
					o.Groups = []string{"finance"}
				}
				for i, k := range viewerKinds {
					got := CanSee(k.v, o)
					if exp := want[ai][i] == '1'; got != exp {
						t.Errorf("CanSee(%s, %s/%s, owner %q) = %v, want %v", k.name, tlp, scope, owner, got, exp)
					}
					n++
				}
			}
		}
	}
	if n != len(TLPs)*len(Scopes)*2*len(viewerKinds) {
		t.Fatalf("covered %d combinations", n)
	}
}

func TestCanSeeUnknownLabelsFailClosed(t *testing.T) {
	member := Viewer{Org: "gamma"}
	if CanSee(member, Visibility{Owner: "acme", TLP: "purple", Scope: ScopeCommunity}) {
		t.Error("an unknown TLP label was shared with the community")
	}
	if CanSee(member, Visibility{Owner: "acme", TLP: TLPClear, Scope: "everyone"}) {
		t.Error("an unknown scope was shared")
	}
	if CanSee(Viewer{Org: ""}, Visibility{Owner: "", TLP: TLPAmber, Scope: ScopeOwner}) {
		t.Error("a viewer without an organisation matched an object without an owner")
	}
}

func TestMayPassOn(t *testing.T) {
	tests := []struct {
		o    Visibility
		want bool
	}{
		{Visibility{TLP: TLPClear, Scope: ScopeOwner}, true},
		{Visibility{TLP: TLPGreen, Scope: ScopeCommunity}, true},
		{Visibility{TLP: TLPGreen, Scope: ScopeGroups}, false},
		{Visibility{TLP: TLPAmber, Scope: ScopeCommunity}, false},
		{Visibility{TLP: TLPAmberStrict, Scope: ScopeCommunity}, false},
		{Visibility{TLP: TLPRed, Scope: ScopeGroups}, false},
	}
	for _, tt := range tests {
		if got := MayPassOn(tt.o); got != tt.want {
			t.Errorf("MayPassOn(%+v) = %v", tt.o, got)
		}
	}
}
