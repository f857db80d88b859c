package warninglist

import (
	"bufio"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/rampartsec/rampart/intel"
)

// List is one named warninglist.
type List struct {
	Name        string
	Description string
	Builtin     bool

	prefixes []netip.Prefix
	exact    map[string]bool // domains and other exact values
	suffixes []string        // ".example.com" for "*.example.com"
	entries  []string
}

// Entries returns the list's entries as given (canonicalised).
func (l *List) Entries() []string { return l.entries }

// New makes a list from entries: IP addresses, CIDR networks, domains ("*.d" for d and its
// subdomains) or other indicator values. Blank entries and "#" comments are ignored; an
// entry that is none of these is an error naming it.
func New(name, description string, entries []string) (*List, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, fmt.Errorf("warninglist: a list needs a name")
	}
	l := &List{Name: name, Description: description, exact: map[string]bool{}}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" || strings.HasPrefix(e, "#") {
			continue
		}
		if err := l.add(e); err != nil {
			return nil, fmt.Errorf("warninglist %s: %w", name, err)
		}
	}
	return l, nil
}

func (l *List) add(e string) error {
	if p, err := netip.ParsePrefix(e); err == nil {
		p = p.Masked()
		l.prefixes = append(l.prefixes, p)
		l.entries = append(l.entries, p.String())
		return nil
	}
	if a, err := netip.ParseAddr(e); err == nil {
		a = a.Unmap()
		l.prefixes = append(l.prefixes, netip.PrefixFrom(a, a.BitLen()))
		l.entries = append(l.entries, a.String())
		return nil
	}
	if rest, ok := strings.CutPrefix(e, "*."); ok {
		_, d, err := intel.Normalize(intel.TypeDomain, rest)
		if err != nil {
			return fmt.Errorf("entry %q: %w", e, err)
		}
		l.exact[d] = true
		l.suffixes = append(l.suffixes, "."+d)
		l.entries = append(l.entries, "*."+d)
		return nil
	}
	_, v, err := intel.Normalize("", e)
	if err != nil {
		return fmt.Errorf("entry %q: %w", e, err)
	}
	l.exact[v] = true
	l.entries = append(l.entries, v)
	return nil
}

// Parse reads a list file: one entry a line, "#" comments.
func Parse(name, description, text string) (*List, error) {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return New(name, description, lines)
}

// Contains reports whether the canonical value v of type t is on the list.
func (l *List) Contains(t intel.Type, v string) bool {
	switch t {
	case intel.TypeIPv4, intel.TypeIPv6:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range l.prefixes {
			if p.Contains(a) {
				return true
			}
		}
		return false
	case intel.TypeCIDR:
		q, err := netip.ParsePrefix(v)
		if err != nil {
			return false
		}
		for _, p := range l.prefixes {
			if p.Overlaps(q) {
				return true
			}
		}
		return false
	case intel.TypeDomain:
		return l.containsDomain(v)
	case intel.TypeURL:
		if l.exact[v] {
			return true
		}
		if host := urlHost(v); host != "" {
			if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
				return l.Contains(intel.TypeIPv6, a.String())
			}
			return l.containsDomain(host)
		}
		return false
	case intel.TypeEmail:
		if l.exact[v] {
			return true
		}
		if i := strings.LastIndexByte(v, '@'); i >= 0 {
			return l.containsDomain(v[i+1:])
		}
		return false
	default:
		return l.exact[v]
	}
}

func (l *List) containsDomain(d string) bool {
	if l.exact[d] {
		return true
	}
	for _, s := range l.suffixes {
		if strings.HasSuffix(d, s) {
			return true
		}
	}
	return false
}

// urlHost returns the host of a canonical URL (scheme://[user@]host[:port]/…).
func urlHost(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if strings.HasPrefix(rest, "[") {
		if i := strings.IndexByte(rest, ']'); i > 0 {
			return rest[:i+1]
		}
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// sortedNames returns the names of the lists that contain the value, sorted.
func sortedNames(lists []*List, t intel.Type, v string) []string {
	var out []string
	for _, l := range lists {
		if l.Contains(t, v) {
			out = append(out, l.Name)
		}
	}
	sort.Strings(out)
	return out
}
