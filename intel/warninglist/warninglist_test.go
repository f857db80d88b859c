package warninglist

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/intel"
)

func TestBuiltinMatch(t *testing.T) {
	r := NewRegistry()
	tests := []struct {
		typ   intel.Type
		value string
		want  []string
	}{
		{intel.TypeIPv4, "10.20.30.40", []string{Private}},
		{intel.TypeIPv4, "172.31.255.255", []string{Private}},
		{intel.TypeIPv4, "172.32.0.1", nil},
		{intel.TypeIPv4, "100.64.1.1", []string{Private}},
		{intel.TypeIPv4, "127.0.0.53", []string{Loopback}},
		{intel.TypeIPv4, "169.254.169.254", []string{LinkLocal}},
		{intel.TypeIPv4, "224.0.0.251", []string{Multicast}},
		{intel.TypeIPv4, "192.0.2.10", []string{Documentation}},
		{intel.TypeIPv4, "0.0.0.0", []string{Reserved}},
		{intel.TypeIPv4, "255.255.255.255", []string{Reserved}},
		{intel.TypeIPv4, "8.8.8.8", nil},
		{intel.TypeIPv6, "::1", []string{Loopback}},
		{intel.TypeIPv6, "fe80::1", []string{LinkLocal}},
		{intel.TypeIPv6, "fd00::1", []string{Private}},
		{intel.TypeIPv6, "2001:db8::1", []string{Documentation}},
		{intel.TypeIPv6, "2001::5", []string{Reserved}},
		{intel.TypeIPv6, "2a00:1450:4001::1", nil},
		{intel.TypeCIDR, "0.0.0.0/0", []string{Documentation, LinkLocal, Loopback, Multicast, Private, Reserved}},
		{intel.TypeCIDR, "10.0.0.0/7", []string{Private}},
		{intel.TypeCIDR, "11.0.0.0/8", nil},
		{intel.TypeDomain, "google.com", []string{Popular}},
		{intel.TypeDomain, "evil-google.com", nil},
		{intel.TypeDomain, "mail.google.com", nil}, // exact entry: subdomains are not covered
		{intel.TypeDomain, "x.y.googleapis.com", []string{Popular}},
		{intel.TypeDomain, "googleapis.com", []string{Popular}},
		{intel.TypeDomain, "www.example.com", []string{Documentation}},
		{intel.TypeDomain, "printer.local", []string{Reserved}},
		{intel.TypeDomain, "db.localhost", []string{Loopback}},
		{intel.TypeURL, "https://www.google.com/search?q=1", []string{Popular}},
		{intel.TypeURL, "http://10.0.0.1:8080/", []string{Private}},
		{intel.TypeURL, "http://[::1]/", []string{Loopback}},
		{intel.TypeURL, "http://user@evil.test/", []string{Reserved}},
		{intel.TypeEmail, "ceo@gmail.com", []string{Popular}},
		{intel.TypeSHA256, strings.Repeat("a", 64), nil},
	}
	for _, tt := range tests {
		got := r.Match(tt.typ, tt.value)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Match(%s, %s) = %v, want %v", tt.typ, tt.value, got, tt.want)
		}
	}
}

func TestAdminLists(t *testing.T) {
	r := NewRegistry()
	l, err := Parse("our-assets", "member networks", "# ours\n198.18.0.0/15\n*.Members.Example-ISAC.org.\nbad-actor-free.net\n"+strings.Repeat("b", 64)+"\n")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Set(l) {
		t.Fatal("Set refused an admin list")
	}
	if got := r.Match(intel.TypeDomain, "vpn.members.example-isac.org"); !slices.Equal(got, []string{"our-assets"}) {
		t.Errorf("wildcard entry: %v", got)
	}
	if got := r.Match(intel.TypeSHA256, strings.Repeat("b", 64)); !slices.Equal(got, []string{"our-assets"}) {
		t.Errorf("exact hash entry: %v", got)
	}
	if got := r.Match(intel.TypeIPv4, "198.19.1.1"); !slices.Equal(got, []string{"our-assets", Reserved}) {
		t.Errorf("overlapping lists: %v", got)
	}
	if r.Set(&List{Name: Private}) {
		t.Error("an admin list replaced a built-in one")
	}
	if r.Remove(Private) {
		t.Error("a built-in list was removed")
	}
	if !r.Remove("our-assets") || r.Match(intel.TypeDomain, "vpn.members.example-isac.org") != nil {
		t.Error("a removed list still matches")
	}
	if _, err := New("bad", "", []string{"not a value at all"}); err == nil || !strings.Contains(err.Error(), "not a value at all") {
		t.Errorf("an invalid entry was accepted or not named: %v", err)
	}
	if _, err := New(" ", "", nil); err == nil {
		t.Error("a list without a name was accepted")
	}
}

func TestBuildValidatesEveryEntry(t *testing.T) {
	tests := []struct {
		typ     EntryType
		entry   string
		canon   string // "" when refused
		because string // part of the reason when refused
	}{
		{EntriesMixed, "192.0.2.7", "192.0.2.7", ""},
		{EntriesMixed, "192.0.2[.]7", "192.0.2.7", ""}, // refanged, and matched as an address
		{EntriesMixed, "::ffff:192.0.2.7", "192.0.2.7", ""},
		{EntriesMixed, "10.1.2.3/8", "10.0.0.0/8", ""},
		{EntriesMixed, "Members.Example-ISAC.org.", "members.example-isac.org", ""},
		{EntriesMixed, "*.Example-ISAC.org", "*.example-isac.org", ""},
		{EntriesMixed, "hxxps://portal.example-isac[.]org/login", "https://portal.example-isac.org/login", ""},
		{EntriesMixed, strings.Repeat("A", 64), strings.Repeat("a", 64), ""},
		{EntriesMixed, "as64496", "AS64496", ""},
		{EntriesMixed, "10.0.0.300", "", "not a valid IPv4 address"},
		{EntriesMixed, "10.0.0.0/33", "", "prefix length"},
		{EntriesMixed, "*.", "", "wildcard"},
		{EntriesMixed, "what is this", "", "not an IP address"},
		{EntriesMixed, "  ", "", "empty"},
		{EntriesNetwork, "2001:db8::/48", "2001:db8::/48", ""},
		{EntriesNetwork, "example-isac.org", "", "network entries only"},
		{EntriesDomain, "*.example-isac.org", "*.example-isac.org", ""},
		{EntriesDomain, "192.0.2.1", "", "domain entries only"},
		{EntriesHash, strings.Repeat("b", 40), strings.Repeat("b", 40), ""},
		{EntriesHash, "https://example-isac.org/", "", "hash entries only"},
	}
	for _, tt := range tests {
		l, err := Build(Spec{Name: "t", EntryType: tt.typ, Entries: []string{tt.entry}})
		if tt.canon != "" {
			if err != nil || !slices.Contains(l.Entries(), tt.canon) {
				t.Errorf("%s list, %q: %v %v, want %q", tt.typ, tt.entry, l, err, tt.canon)
			}
			continue
		}
		var bad *EntriesError
		if !errors.As(err, &bad) || !errors.Is(err, intel.ErrInvalid) {
			t.Errorf("%s list, %q: accepted (%v, %v)", tt.typ, tt.entry, l, err)
			continue
		}
		if len(bad.Errors) != 1 || bad.Errors[0].Index != 0 || bad.Errors[0].Entry != tt.entry || !strings.Contains(bad.Errors[0].Reason, tt.because) {
			t.Errorf("%s list, %q: errors %+v, want one at 0 mentioning %q", tt.typ, tt.entry, bad.Errors, tt.because)
		}
	}
	if _, err := Build(Spec{Name: "t", EntryType: "bananas"}); !errors.Is(err, intel.ErrInvalid) || !strings.Contains(err.Error(), "entry_type") {
		t.Errorf("a bad entry type: %v", err)
	}
	for _, name := range []string{"", "Our Assets", "-x", strings.Repeat("a", 64), "a/b"} {
		if _, err := Build(Spec{Name: name}); !errors.Is(err, intel.ErrInvalid) {
			t.Errorf("name %q accepted: %v", name, err)
		}
	}
	many := make([]string, 250)
	for i := range many {
		many[i] = "bad value " + strings.Repeat("x", i%3)
	}
	_, err := Build(Spec{Name: "t", Entries: many})
	var bad *EntriesError
	if !errors.As(err, &bad) || bad.Total != 250 || len(bad.Errors) != MaxReported {
		t.Errorf("250 bad entries: %v", err)
	}
}

func TestChangeIsAllOrNothing(t *testing.T) {
	l, err := Build(Spec{Name: "ours", EntryType: EntriesNetwork, Entries: []string{"192.0.2.0/24", "198.51.100.1"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Change([]string{"203.0.113.0/24", "ours.example-isac.org"}, []string{"198.51.100.1", "198.51.100.2"})
	var bad *EntriesError
	if !errors.As(err, &bad) || len(bad.Errors) != 2 {
		t.Fatalf("err = %v", err)
	}
	if e := bad.Errors[0]; e.Field != "add" || e.Index != 1 || e.Entry != "ours.example-isac.org" {
		t.Errorf("first error %+v", e)
	}
	if e := bad.Errors[1]; e.Field != "remove" || e.Index != 1 || e.Entry != "198.51.100.2" || !strings.Contains(e.Reason, "not on the list") {
		t.Errorf("second error %+v", e)
	}
	if !slices.Equal(l.Entries(), []string{"192.0.2.0/24", "198.51.100.1"}) {
		t.Fatalf("the list changed: %v", l.Entries())
	}
	c, err := l.Change([]string{"203.0.113.0/24", "192.0.2.0/24"}, []string{"198.51.100.1/32"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Entries(), []string{"192.0.2.0/24", "203.0.113.0/24"}) || !c.Contains(intel.TypeIPv4, "203.0.113.9") || c.Contains(intel.TypeIPv4, "198.51.100.1") {
		t.Fatalf("changed: %v", c.Entries())
	}
}

func TestCommunityAssetsIsEditableButBuiltin(t *testing.T) {
	r := NewRegistry()
	ca := r.Get(CommunityAssets)
	if ca == nil || !ca.Builtin || !ca.Editable || ca.Len() != 0 {
		t.Fatalf("community assets: %+v", ca)
	}
	if r.Get(Private).Editable {
		t.Fatal("private-ranges is editable")
	}
	mine, _ := New(CommunityAssets, "mine", []string{"192.0.2.0/28"})
	if !r.Set(mine) {
		t.Fatal("Set refused the community's assets")
	}
	if got := r.Get(CommunityAssets); !got.Builtin || got.Description == "mine" || got.Len() != 1 {
		t.Fatalf("after Set: %+v", got)
	}
	if r.Remove(CommunityAssets) {
		t.Fatal("the built-in community-assets list was removed")
	}
	other, _ := New("other", "", []string{"11.0.0.0/8"})
	r.Set(other)
	r.Reset([]*List{mustNew(t, "third", "12.0.0.0/8")})
	if r.Get("other") != nil || r.Get("third") == nil || r.Get(CommunityAssets).Len() != 0 || r.Get(Popular) == nil {
		t.Fatalf("after Reset: %v", r.Lists())
	}
	if got := r.Match(intel.TypeIPv4, "192.0.2.1"); !slices.Equal(got, []string{Documentation}) {
		t.Fatalf("Reset kept emptied entries: %v", got)
	}
}

func mustNew(t *testing.T, name string, entries ...string) *List {
	t.Helper()
	l, err := New(name, "", entries)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
