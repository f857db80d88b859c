package intel

import "strings"

// TLP is a Traffic Light Protocol 2.0 label.
type TLP string

// The TLP 2.0 labels, from the least to the most restrictive.
const (
	TLPClear       TLP = "clear"
	TLPGreen       TLP = "green"
	TLPAmber       TLP = "amber"
	TLPAmberStrict TLP = "amber+strict"
	TLPRed         TLP = "red"
)

// TLPs lists every label, least restrictive first.
var TLPs = []TLP{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}

// DefaultTLP is the label of an indicator submitted without one.
const DefaultTLP = TLPAmber

// ParseTLP accepts a label in any case, with or without the "TLP:" prefix; "white" (TLP 1.0)
// is read as clear. "" yields DefaultTLP.
func ParseTLP(s string) (TLP, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.TrimPrefix(v, "tlp:")
	switch v {
	case "":
		return DefaultTLP, nil
	case "white":
		return TLPClear, nil
	case "amber-strict", "amber_strict", "amberstrict":
		return TLPAmberStrict, nil
	}
	for _, t := range TLPs {
		if string(t) == v {
			return t, nil
		}
	}
	return "", invalid("tlp", "%q is not a TLP 2.0 label: use clear, green, amber, amber+strict or red", s)
}

// Rank orders labels by restrictiveness: clear 0 … red 4; an unknown label ranks as red.
func (t TLP) Rank() int {
	for i, x := range TLPs {
		if x == t {
			return i
		}
	}
	return len(TLPs) - 1
}

// Stricter returns the more restrictive of t and u.
func (t TLP) Stricter(u TLP) TLP {
	if u.Rank() > t.Rank() {
		return u
	}
	return t
}

// Scope is who the owner shares an object with; the TLP label then says what recipients may
// do with it.
type Scope string

// The sharing scopes.
const (
	ScopeOwner     Scope = "owner"     // the owner organisation only
	ScopeGroups    Scope = "groups"    // the member organisations of the named sharing groups
	ScopeCommunity Scope = "community" // every member organisation of the community
)

// Scopes lists every scope, narrowest first.
var Scopes = []Scope{ScopeOwner, ScopeGroups, ScopeCommunity}

// DefaultScope is the scope of an indicator submitted without one.
const DefaultScope = ScopeCommunity

// ParseScope validates a scope; "" yields DefaultScope.
func ParseScope(s string) (Scope, error) {
	v := Scope(strings.ToLower(strings.TrimSpace(s)))
	if v == "" {
		return DefaultScope, nil
	}
	for _, x := range Scopes {
		if x == v {
			return v, nil
		}
	}
	return "", invalid("scope", "%q is not a sharing scope: use owner, groups or community", s)
}

// Attribution is how a report names its contributor.
type Attribution string

// The attribution modes.
const (
	// Attributed: the owner organisation is shown to whoever may see the report.
	Attributed Attribution = "attributed"
	// Pseudonymous: viewers see the organisation's stable pseudonym; community admins can
	// link it to the organisation.
	Pseudonymous Attribution = "pseudonymous"
	// Anonymous: the store keeps no plain link from the report to its contributor, who holds
	// a secret proof (stored only as a keyed hash) to edit or withdraw it.
	Anonymous Attribution = "anonymous"
)

// Attributions lists every attribution mode.
var Attributions = []Attribution{Attributed, Pseudonymous, Anonymous}

// ParseAttribution validates an attribution; "" yields Attributed.
func ParseAttribution(s string) (Attribution, error) {
	v := Attribution(strings.ToLower(strings.TrimSpace(s)))
	if v == "" {
		return Attributed, nil
	}
	for _, x := range Attributions {
		if x == v {
			return v, nil
		}
	}
	return "", invalid("attribution", "%q is not an attribution: use attributed, pseudonymous or anonymous", s)
}

// Source is where a report came from.
type Source string

// The report sources.
const (
	SourceMember Source = "member" // a member organisation's user, API client or playbook
	SourceFeed   Source = "feed"   // a subscribed feed or TAXII collection
	SourceImport Source = "import" // a file import (CSV, STIX bundle, e-mail)
)

// ParseSource validates a source; "" yields SourceMember.
func ParseSource(s string) (Source, error) {
	v := Source(strings.ToLower(strings.TrimSpace(s)))
	switch v {
	case "":
		return SourceMember, nil
	case SourceMember, SourceFeed, SourceImport:
		return v, nil
	}
	return "", invalid("source", "%q is not a source: use member, feed or import", s)
}
