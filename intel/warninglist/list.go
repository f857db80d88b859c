package warninglist

import (
	"bufio"
	"errors"
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
	// EntryType is the kind of entries the list accepts (EntriesMixed: any).
	EntryType EntryType
	// Builtin lists ship with Rampart and cannot be deleted.
	Builtin bool
	// Editable built-in lists (CommunityAssets) ship empty; administrators maintain their
	// entries. Every administrator's list is editable too.
	Editable bool

	prefixes []netip.Prefix
	exact    map[string]bool // domains and other exact values
	suffixes []string        // ".example.com" for "*.example.com"
	entries  []string        // canonical, sorted, without duplicates
}

// Entries returns the list's canonical entries, sorted, without duplicates. The caller must
// not modify the slice.
func (l *List) Entries() []string { return l.entries }

// Len is the number of entries.
func (l *List) Len() int { return len(l.entries) }

// EntryType is the kind of entries a list holds. A list refuses entries of another kind,
// which catches a domain typed into a list of networks and the like.
type EntryType string

// The entry types.
const (
	EntriesMixed   EntryType = "mixed"   // any of the kinds below
	EntriesNetwork EntryType = "network" // IP addresses and CIDR networks
	EntriesDomain  EntryType = "domain"  // domains; "*.example.com" also covers every subdomain
	EntriesURL     EntryType = "url"     // URLs, matched exactly
	EntriesEmail   EntryType = "email"   // e-mail addresses, matched exactly
	EntriesHash    EntryType = "hash"    // MD5, SHA-1, SHA-256 and SHA-512 file hashes
	EntriesASN     EntryType = "asn"     // autonomous system numbers (AS64496)
)

// EntryTypes lists every entry type.
var EntryTypes = []EntryType{EntriesMixed, EntriesNetwork, EntriesDomain, EntriesURL, EntriesEmail, EntriesHash, EntriesASN}

// ParseEntryType validates an entry type name; "" is EntriesMixed.
func ParseEntryType(s string) (EntryType, error) {
	t := EntryType(strings.ToLower(strings.TrimSpace(s)))
	switch t {
	case "":
		return EntriesMixed, nil
	case "ip", "ipv4", "ipv6", "cidr", "address", "addresses", "networks":
		return EntriesNetwork, nil
	case "domains":
		return EntriesDomain, nil
	}
	for _, x := range EntryTypes {
		if x == t {
			return t, nil
		}
	}
	names := make([]string, len(EntryTypes))
	for i, x := range EntryTypes {
		names[i] = string(x)
	}
	return "", &intel.InvalidError{Field: "entry_type", Reason: fmt.Sprintf("%q is not an entry type: use one of %s", s, strings.Join(names, ", "))}
}

// MaxEntries bounds an administrator's list.
const MaxEntries = 100_000

// MaxReported bounds the entry errors an EntriesError lists; Total counts them all.
const MaxReported = 100

// EntryError is one refused entry: where it is in the input and why it was refused.
type EntryError struct {
	Field  string // the input it came from: "entries", "add" or "remove"
	Index  int    // 0-based position in that input
	Entry  string // the entry as given
	Reason string
}

func (e EntryError) Error() string {
	return fmt.Sprintf("%s[%d] %q: %s", e.Field, e.Index, e.Entry, e.Reason)
}

// EntriesError is every refused entry of one change (up to MaxReported of them). Nothing
// of the change was applied. It wraps intel.ErrInvalid.
type EntriesError struct {
	List   string
	Errors []EntryError
	Total  int
}

func (e *EntriesError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "warninglist %s: %d invalid entries", e.List, e.Total)
	if e.Total == 1 {
		fmt.Fprintf(&b, ": %s", e.Errors[0].Error())
		return b.String()
	}
	for i, x := range e.Errors {
		if i == 3 {
			fmt.Fprintf(&b, "; …")
			break
		}
		fmt.Fprintf(&b, "; %s", x.Error())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, intel.ErrInvalid) true.
func (e *EntriesError) Unwrap() error { return intel.ErrInvalid }

func (e *EntriesError) add(x EntryError) {
	e.Total++
	if len(e.Errors) < MaxReported {
		e.Errors = append(e.Errors, x)
	}
}

// Spec describes a list an administrator creates.
type Spec struct {
	Name        string
	Description string
	EntryType   EntryType // "" is EntriesMixed
	Entries     []string
}

// ValidName reports whether s may name a list (intel.ValidSlug): it appears in URLs and in
// refusal reasons.
func ValidName(s string) bool { return intel.ValidSlug(s) }

// Build makes an administrator's list from spec, strictly: the name must be valid, and every
// entry valid and of the list's entry type. It reports every refused entry (field
// "entries"), not only the first; an empty entry is refused.
func Build(spec Spec) (*List, error) {
	if !ValidName(spec.Name) {
		return nil, &intel.InvalidError{Field: "name", Reason: fmt.Sprintf("%q: use 1-63 lower-case letters, digits and hyphens", spec.Name)}
	}
	typ, err := ParseEntryType(string(spec.EntryType))
	if err != nil {
		return nil, err
	}
	l := &List{Name: spec.Name, Description: spec.Description, EntryType: typ, Editable: true, exact: map[string]bool{}}
	var bad EntriesError
	canon := make([]string, 0, len(spec.Entries))
	for i, e := range spec.Entries {
		c, err := l.canonical(e)
		if err != nil {
			bad.add(EntryError{Field: "entries", Index: i, Entry: e, Reason: err.Error()})
			continue
		}
		canon = append(canon, c)
	}
	if bad.Total > 0 {
		bad.List = l.Name
		return nil, &bad
	}
	return l.rebuild(canon)
}

// Change returns a copy of l with the entries of add added and those of remove removed
// (either may be nil); l is unchanged. Every refused entry is reported (fields "add" and
// "remove"): an invalid one, one of another entry type, or one to remove that is not on
// the list. Adding an entry already there changes nothing.
func (l *List) Change(add, remove []string) (*List, error) {
	var bad EntriesError
	have := make(map[string]bool, len(l.entries))
	for _, e := range l.entries {
		have[e] = true
	}
	var added []string
	for i, e := range add {
		c, err := l.canonical(e)
		if err != nil {
			bad.add(EntryError{Field: "add", Index: i, Entry: e, Reason: err.Error()})
			continue
		}
		added = append(added, c)
	}
	drop := map[string]bool{}
	for i, e := range remove {
		c, err := l.canonical(e)
		if err != nil {
			bad.add(EntryError{Field: "remove", Index: i, Entry: e, Reason: err.Error()})
			continue
		}
		if !have[c] {
			reason := "not on the list"
			if c != strings.TrimSpace(e) {
				reason = fmt.Sprintf("not on the list (as %q)", c)
			}
			bad.add(EntryError{Field: "remove", Index: i, Entry: e, Reason: reason})
			continue
		}
		drop[c] = true
	}
	if bad.Total > 0 {
		bad.List = l.Name
		return nil, &bad
	}
	next := make([]string, 0, len(l.entries)+len(added))
	for _, e := range l.entries {
		if !drop[e] {
			next = append(next, e)
		}
	}
	next = append(next, added...)
	c := &List{Name: l.Name, Description: l.Description, EntryType: l.EntryType, Builtin: l.Builtin, Editable: l.Editable, exact: map[string]bool{}}
	return c.rebuild(next)
}

// rebuild fills l from canonical entries (deduplicated and sorted here).
func (l *List) rebuild(canon []string) (*List, error) {
	sort.Strings(canon)
	canon = uniq(canon)
	if len(canon) > MaxEntries {
		return nil, &intel.InvalidError{Field: "entries", Reason: fmt.Sprintf("warninglist %s would hold %d entries: at most %d", l.Name, len(canon), MaxEntries)}
	}
	for _, c := range canon {
		if err := l.add(c); err != nil {
			return nil, fmt.Errorf("warninglist %s: %w", l.Name, err)
		}
	}
	l.finish()
	return l, nil
}

func uniq(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// canonical validates one entry against the list's entry type and returns its canonical
// form.
func (l *List) canonical(e string) (string, error) {
	e = strings.TrimSpace(e)
	if e == "" {
		return "", fmt.Errorf("empty entry")
	}
	kind, c, err := parseEntry(e)
	if err != nil {
		return "", err
	}
	if l.EntryType != "" && l.EntryType != EntriesMixed && kind != l.EntryType {
		return "", fmt.Errorf("a %s entry (%s), but list %s holds %s entries only", kind, c, l.Name, l.EntryType)
	}
	return c, nil
}

// parseEntry classifies and canonicalises one non-empty entry.
func parseEntry(e string) (EntryType, string, error) {
	if p, err := netip.ParsePrefix(e); err == nil {
		if p = p.Masked(); p.IsSingleIP() { // 192.0.2.1/32 is the address 192.0.2.1
			return EntriesNetwork, p.Addr().Unmap().String(), nil
		}
		return EntriesNetwork, p.String(), nil
	}
	if a, err := netip.ParseAddr(e); err == nil {
		return EntriesNetwork, a.Unmap().String(), nil
	}
	if addr, bits, ok := strings.Cut(e, "/"); ok {
		if a, err := netip.ParseAddr(addr); err == nil {
			return "", "", fmt.Errorf("not a CIDR network: the prefix length %q must be 0 to %d", bits, a.BitLen())
		}
	}
	if strings.Trim(e, "0123456789.") == "" && strings.Contains(e, ".") {
		return "", "", fmt.Errorf("not a valid IPv4 address")
	}
	if rest, ok := strings.CutPrefix(e, "*."); ok {
		_, d, err := intel.Normalize(intel.TypeDomain, rest)
		if err != nil {
			return "", "", fmt.Errorf("not a domain wildcard: %s", reason(err))
		}
		return EntriesDomain, "*." + d, nil
	}
	t, v, err := intel.Normalize("", e)
	if err != nil {
		return "", "", fmt.Errorf("not an IP address, CIDR network, domain or indicator value: %s", reason(err))
	}
	switch {
	case t.IsNetwork(): // a refanged address such as 192.0.2[.]1
		return parseEntry(v)
	case t == intel.TypeDomain:
		return EntriesDomain, v, nil
	case t == intel.TypeURL:
		return EntriesURL, v, nil
	case t == intel.TypeEmail:
		return EntriesEmail, v, nil
	case t.IsHash():
		return EntriesHash, v, nil
	case t == intel.TypeASN:
		return EntriesASN, v, nil
	}
	return "", "", fmt.Errorf("entries of type %s are not supported", t)
}

func reason(err error) string {
	var inv *intel.InvalidError
	if errors.As(err, &inv) {
		return inv.Reason
	}
	return err.Error()
}

// New makes a list from entries leniently (blank entries and "#" comments are ignored; any
// kind of entry is accepted): IP addresses, CIDR networks, domains ("*.d" for d and its
// subdomains) or other indicator values. The first invalid entry is an error naming it.
// Administrators' lists made through the API use Build, which reports every bad entry.
func New(name, description string, entries []string) (*List, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, fmt.Errorf("warninglist: a list needs a name")
	}
	l := &List{Name: name, Description: description, EntryType: EntriesMixed, Editable: true, exact: map[string]bool{}}
	canon := make([]string, 0, len(entries))
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" || strings.HasPrefix(e, "#") {
			continue
		}
		c, err := l.canonical(e)
		if err != nil {
			return nil, fmt.Errorf("warninglist %s: entry %q: %w", name, e, err)
		}
		canon = append(canon, c)
	}
	return l.rebuild(canon)
}

// add puts one canonical entry into the matching structures.
func (l *List) add(e string) error {
	kind, c, err := parseEntry(e)
	if err != nil {
		return fmt.Errorf("entry %q: %w", e, err)
	}
	switch {
	case kind == EntriesNetwork:
		p, err := netip.ParsePrefix(c)
		if err != nil {
			a, _ := netip.ParseAddr(c)
			p = netip.PrefixFrom(a, a.BitLen())
		}
		l.prefixes = append(l.prefixes, p)
	case strings.HasPrefix(c, "*."):
		d := c[2:]
		l.exact[d] = true
		l.suffixes = append(l.suffixes, "."+d)
	default:
		l.exact[c] = true
	}
	l.entries = append(l.entries, c)
	return nil
}

// finish sorts the entries and drops duplicates.
func (l *List) finish() {
	sort.Strings(l.entries)
	l.entries = uniq(l.entries)
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
