package warninglist

import (
	_ "embed"
	"fmt"
)

//go:embed popular_domains.txt
var popularDomains string

// The names of the built-in lists.
const (
	Private       = "private-ranges"
	Reserved      = "reserved-ranges"
	Documentation = "documentation-ranges"
	Loopback      = "loopback"
	LinkLocal     = "link-local"
	Multicast     = "multicast"
	Popular       = "popular-domains"
	// CommunityAssets is the community's own assets (members' networks, domains, services):
	// built in, so it always exists and cannot be deleted, but shipped empty; community
	// administrators maintain its entries.
	CommunityAssets = "community-assets"
)

// builtinSpecs are the built-in lists' entries.
var builtinSpecs = []struct {
	name, description string
	typ               EntryType
	entries           []string
}{
	{Private, "RFC 1918 private, RFC 6598 shared and RFC 4193 unique-local addresses", EntriesNetwork,
		[]string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"}},
	{Reserved, "IANA special-purpose and unroutable ranges (RFC 6890 and others)", EntriesMixed,
		[]string{"0.0.0.0/8", "192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4", "255.255.255.255/32",
			"::/128", "64:ff9b::/96", "100::/64", "2001::/23", "2002::/16",
			"invalid", "local", "test", "example", "onion", "home.arpa"}},
	{Documentation, "documentation ranges and names (RFC 5737, RFC 3849, RFC 2606)", EntriesMixed,
		[]string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32",
			"*.example.com", "*.example.net", "*.example.org"}},
	{Loopback, "loopback addresses and names", EntriesMixed, []string{"127.0.0.0/8", "::1/128", "localhost"}},
	{LinkLocal, "link-local addresses (RFC 3927, RFC 4291)", EntriesNetwork, []string{"169.254.0.0/16", "fe80::/10"}},
	{Multicast, "multicast addresses", EntriesNetwork, []string{"224.0.0.0/4", "ff00::/8"}},
}

// communityAssetsDescription describes CommunityAssets.
const communityAssetsDescription = "the community's own assets (members' networks, domains and services), maintained by community administrators"

// Builtin returns fresh copies of the built-in lists.
func Builtin() []*List {
	var out []*List
	for _, s := range builtinSpecs {
		l := &List{Name: s.name, Description: s.description, EntryType: s.typ, Builtin: true, exact: map[string]bool{}}
		for _, e := range s.entries {
			if err := l.addBuiltin(e); err != nil {
				panic(fmt.Sprintf("warninglist: built-in %s: %v", s.name, err))
			}
		}
		l.finish()
		out = append(out, l)
	}
	pop, err := Parse(Popular, "very popular domains", popularDomains)
	if err != nil {
		panic(err)
	}
	pop.Builtin, pop.Editable, pop.EntryType = true, false, EntriesDomain
	out = append(out, pop, emptyCommunityAssets())
	return out
}

func emptyCommunityAssets() *List {
	return &List{Name: CommunityAssets, Description: communityAssetsDescription, EntryType: EntriesMixed,
		Builtin: true, Editable: true, exact: map[string]bool{}}
}

// addBuiltin also accepts single-label reserved names (RFC 2606 / RFC 6761 TLDs), which an
// indicator can never equal but whose subdomains it can.
func (l *List) addBuiltin(e string) error {
	if e != "" && !containsByte(e, '.') && !containsByte(e, ':') && !containsByte(e, '/') {
		l.suffixes = append(l.suffixes, "."+e)
		l.entries = append(l.entries, "*."+e)
		return nil
	}
	return l.add(e)
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}
