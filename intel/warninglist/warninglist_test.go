package warninglist

import (
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
