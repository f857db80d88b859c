// Package guard is the warninglist guard: an actions.Executor decorator that refuses to
// block or sinkhole a value on a warninglist (private and reserved ranges, the community's
// own assets, very popular domains…), whatever the playbook says. The refusal is a
// non-retryable *actions.Error with code "refused" whose message names the value and the
// lists, so the run record shows why.
//
// Which inputs are checked is a table (DefaultRules): firewall/block's "addresses", and
// dnssinkhole/sinkhole's "names" or "domains" (the singular forms too). A value is checked
// in canonical form (refanged, normalised, the type inferred); a network that overlaps a
// listed range is refused. Values that do not parse are left to the plugin's own input
// validation. Other actions pass through untouched.
package guard

import (
	"context"
	"fmt"
	"strings"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/warninglist"
)

// Rule says which input fields of an action hold values to check, and as what.
type Rule struct {
	Fields []string
	Kind   string // "address": IPs and CIDRs (also domains, for firewalls that resolve names); "name": domains
}

// DefaultRules are the guarded actions.
var DefaultRules = map[string]Rule{
	"firewall/block":       {Fields: []string{"addresses", "address"}, Kind: "address"},
	"dnssinkhole/sinkhole": {Fields: []string{"names", "domains", "name", "domain"}, Kind: "name"},
}

// Guard wraps an Executor.
type Guard struct {
	next  actions.Executor
	lists warninglist.Matcher
	rules map[string]Rule
}

// New returns a guard in front of next that checks against lists with DefaultRules.
func New(next actions.Executor, lists warninglist.Matcher) *Guard {
	return &Guard{next: next, lists: lists, rules: DefaultRules}
}

// WithRules returns a copy of g that guards the given actions instead.
func (g *Guard) WithRules(rules map[string]Rule) *Guard {
	c := *g
	c.rules = rules
	return &c
}

// Execute refuses the request when a guarded value is listed; otherwise it calls the
// wrapped executor.
func (g *Guard) Execute(ctx context.Context, req actions.Request) (map[string]any, error) {
	if rule, ok := g.rules[req.Action]; ok {
		if err := g.check(rule, req); err != nil {
			return nil, err
		}
	}
	return g.next.Execute(ctx, req)
}

func (g *Guard) check(rule Rule, req actions.Request) error {
	for _, f := range rule.Fields {
		raw, ok := req.Input[f]
		if !ok {
			continue
		}
		for _, v := range stringsOf(raw) {
			t, canon, ok := canonical(rule.Kind, v)
			if !ok {
				continue
			}
			if lists := g.lists.Match(t, canon); len(lists) > 0 {
				return actions.Errorf(actions.CodeRefused, false,
					"%s %s is on warninglist %s: refusing %s whatever the playbook says (remove it from the input, or from the list if it is wrongly there)",
					t, canon, strings.Join(lists, ", "), req.Action)
			}
		}
	}
	return nil
}

// canonical normalises one value for matching.
func canonical(kind, v string) (intel.Type, string, bool) {
	v = strings.TrimSpace(v)
	if kind == "name" {
		v = strings.TrimPrefix(v, "*.")
		if t, c, err := intel.Normalize(intel.TypeDomain, v); err == nil {
			return t, c, true
		}
	}
	t, c, err := intel.Normalize("", v)
	if err != nil {
		return "", "", false
	}
	return t, c, true
}

// stringsOf returns the strings in an input value: a string, or a list of strings.
func stringsOf(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []string:
		return x
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			} else if m, ok := e.(map[string]any); ok { // [{value: …}] forms
				for _, k := range []string{"value", "address", "name", "domain"} {
					if s, ok := m[k].(string); ok {
						out = append(out, s)
					}
				}
			}
		}
		return out
	default:
		return []string{fmt.Sprint(v)}
	}
}
