package manager

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/rampartsec/rampart/actions"
)

// redacted is what replaces a connection secret that a plugin put in its output or error.
const redacted = "[redacted]"

// A connection's secrets are decrypted only inside the activity and handed to the plugin for
// one call. Whatever the plugin returns (output or error) goes into the activity's result,
// hence into Temporal's workflow history, the run record and the API, so the manager
// removes every secret value of the call's connection from it: a last line of defence
// against a plugin that echoes a secret by bug or by malice.
//
// Every non-empty secret is redacted, however short. A one-character secret makes the
// redaction replace that character everywhere, which mangles the output (and then usually
// fails the output schema check): that is the safe failure. Skipping short secrets would
// let a plugin copy them to history verbatim, and a secret short enough to be mangling is
// one the operator should replace anyway.
//
// What is matched is each secret as it is, and as a plugin is likely to have re-encoded it
// into a string it returns: JSON-escaped (JSON nested in a string) and URL-escaped (a URL
// with the secret in its query or path). Anything else a plugin derives from a secret (a
// hash, base64 of "user:secret" in a Basic header) cannot be recognised here; plugins must
// not return such things.

// secretTexts appends the texts of a decrypted secret value to out: a string as it is, a
// number as fmt prints it, and the leaves of an array or object. Booleans and null hold no
// secret worth the name and are left out, as are empty strings (nothing to hide, and an
// empty pattern would match everywhere).
func secretTexts(v any, out []string) []string {
	switch v := v.(type) {
	case string:
		if v != "" {
			out = append(out, v)
		}
	case float64, json.Number, int, int64:
		out = append(out, fmt.Sprint(v))
	case []any:
		for _, e := range v {
			out = secretTexts(e, out)
		}
	case map[string]any:
		for _, e := range v {
			out = secretTexts(e, out)
		}
	}
	return out
}

// redactor removes a fixed set of secret texts from strings. The zero value (no secrets)
// does nothing and costs nothing.
type redactor struct {
	patterns []string        // the secrets and their escaped forms, deduplicated
	scalars  map[string]bool // the secrets as they are, to recognise a number equal to one
}

func newRedactor(secretVals []string) *redactor {
	r := &redactor{}
	if len(secretVals) == 0 {
		return r
	}
	seen := map[string]bool{}
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			r.patterns = append(r.patterns, p)
		}
	}
	r.scalars = map[string]bool{}
	for _, s := range secretVals {
		if s == "" {
			continue
		}
		r.scalars[s] = true
		add(s)
		if b, err := json.Marshal(s); err == nil {
			add(string(b[1 : len(b)-1]))
		}
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
	}
	return r
}

// active reports whether there is any secret to redact.
func (r *redactor) active() bool { return len(r.patterns) > 0 }

// String returns s with every occurrence of every secret replaced by redacted. Occurrences
// that overlap (of one secret, or of two secrets that share characters) are merged into one
// replaced span, so no fragment of a secret survives whatever the order of the secrets.
func (r *redactor) String(s string) string {
	if !r.active() || s == "" {
		return s
	}
	type span struct{ from, to int }
	var spans []span
	for _, p := range r.patterns {
		for off := 0; off+len(p) <= len(s); {
			i := strings.Index(s[off:], p)
			if i < 0 {
				break
			}
			spans = append(spans, span{off + i, off + i + len(p)})
			off += i + 1 // overlapping occurrences too: "aaa" in "aaaa"
		}
	}
	if len(spans) == 0 {
		return s
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	var b strings.Builder
	last := 0
	for i := 0; i < len(spans); {
		from, to := spans[i].from, spans[i].to
		for i++; i < len(spans) && spans[i].from < to; i++ {
			to = max(to, spans[i].to)
		}
		b.WriteString(s[last:from])
		b.WriteString(redacted)
		last = to
	}
	b.WriteString(s[last:])
	return b.String()
}

// Value redacts a decoded JSON value in place where it can (maps and slices) and returns
// it, with changed reporting whether anything was redacted. A string holding a secret has
// it replaced; a map key too; a number whose text is a secret becomes the string redacted.
func (r *redactor) Value(v any) (out any, changed bool) {
	switch v := v.(type) {
	case string:
		s := r.String(v)
		return s, s != v
	case float64:
		if r.scalars[fmt.Sprint(v)] {
			return redacted, true
		}
		return v, false
	case json.Number:
		if r.scalars[v.String()] {
			return redacted, true
		}
		return v, false
	case []any:
		for i, e := range v {
			ne, c := r.Value(e)
			if c {
				v[i], changed = ne, true
			}
		}
		return v, changed
	case map[string]any:
		return v, r.Map(v)
	}
	return v, false
}

// Map redacts a decoded JSON object in place and reports whether anything was redacted.
// Keys that hold a secret are renamed; should two keys redact to the same name, the one
// whose original sorts last keeps it (the plugin that returned them misbehaves anyway).
func (r *redactor) Map(m map[string]any) (changed bool) {
	var renamed []string
	for k, e := range m {
		if ne, c := r.Value(e); c {
			m[k], changed = ne, true
		}
		if r.String(k) != k {
			renamed = append(renamed, k)
		}
	}
	sort.Strings(renamed)
	for _, k := range renamed {
		e := m[k]
		delete(m, k)
		m[r.String(k)] = e
	}
	return changed || len(renamed) > 0
}

// Error returns err with the secrets removed from its message, as an *actions.Error.
func (r *redactor) Error(err error) error {
	if err == nil || !r.active() {
		return err
	}
	e := actions.AsError(err)
	msg := r.String(e.Message)
	if msg == e.Message {
		return e
	}
	return &actions.Error{Code: e.Code, Message: msg, Retryable: e.Retryable}
}

// redactError replaces any secret value of the call's connection that a plugin put in its
// error message: a last line of defence, plugins must not do it.
func redactError(err error, secretVals []string) error {
	if len(secretVals) == 0 {
		return err
	}
	return newRedactor(secretVals).Error(err)
}

// redact returns s with the secret values replaced by redacted.
func redact(s string, secretVals []string) string {
	if len(secretVals) == 0 {
		return s
	}
	return newRedactor(secretVals).String(s)
}
