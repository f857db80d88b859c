package playbooks

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// This file runs the checks that depend on Options: actions and their input schemas, and
// connections. They run on every compile, cached or not, because the installed plugins and
// an organisation's connections change while the playbook does not.

// stepCheck is what the Options checks need of a uses step's source.
type stepCheck struct {
	uses, conn Pos
	with       *withInfo // nil: no with block
}

// withInfo is the shape of a with block: its keys and, where a value holds no template,
// the value itself.
type withInfo struct {
	pos  Pos
	keys []withKey
	open bool // the block is one template: its keys are not known before it runs
}

type withKey struct {
	name    string
	pos     Pos
	value   any
	literal bool
}

func withShape(n *yaml.Node) *withInfo {
	w := &withInfo{pos: nodePos(n)}
	if n.Kind != yaml.MappingNode {
		w.open = true
		return w
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		w.keys = append(w.keys, withKey{name: k.Value, pos: nodePos(k), value: literal(v), literal: !hasTemplate(v)})
	}
	return w
}

func hasTemplate(n *yaml.Node) bool {
	if n.Kind == yaml.ScalarNode {
		return n.Tag == "!!str" && strings.Contains(n.Value, tmplOpen)
	}
	for _, ch := range n.Content {
		if hasTemplate(ch) {
			return true
		}
	}
	return false
}

// checkOptions checks pb's actions and connections.
func checkOptions(pb *Playbook, opts Options) Diagnostics {
	if pb == nil || (opts.Actions == nil && opts.Connections == nil) {
		return nil
	}
	r := &reporter{file: pb.File}
	var walk func(steps []*Step)
	walk = func(steps []*Step) {
		for _, st := range steps {
			if st.Kind == StepUses {
				checkStepOptions(r, st, opts)
			}
			walk(st.Parallel)
			walk(st.OnError.Steps)
		}
	}
	walk(pb.Steps)
	return r.diags
}

func checkStepOptions(r *reporter, st *Step, opts Options) {
	if opts.Connections != nil && st.Connection != "" && !opts.Connections(st.Connection) {
		r.errorf(st.check.conn, "create it first (rampart connection add), or name one of your organisation's connections",
			"step %q: no connection named %q", st.ID, st.Connection)
	}
	if opts.Actions == nil || !actionPattern.MatchString(st.Uses) {
		return // a malformed name is reported by the compile
	}
	spec, ok := opts.Actions(st.Uses)
	if !ok {
		if strings.HasPrefix(st.Uses, "core/") {
			return // built-ins the catalog does not describe are not checked
		}
		plugin := st.Uses[:strings.IndexByte(st.Uses, '/')]
		r.errorf(st.check.uses, fmt.Sprintf("install the plugin that provides it (rampart plugin install), or check the name; plugin %q", plugin),
			"step %q: no installed plugin provides the action %q", st.ID, st.Uses)
		return
	}
	if len(spec.InputSchema) == 0 {
		return
	}
	sch, err := parseSchema(spec.InputSchema)
	if err != nil {
		r.warnf(st.check.uses, "", "step %q: the input schema of %q cannot be read, so with is not checked: %v", st.ID, st.Uses, err)
		return
	}
	w := st.check.with
	if w == nil {
		w = &withInfo{pos: st.check.uses}
	}
	if w.open {
		return
	}
	have := map[string]bool{}
	for _, k := range w.keys {
		have[k.name] = true
		prop, known := sch.Properties[k.name]
		if !known {
			if sch.closed() {
				r.errorf(k.pos, hintFor(k.name, sch.names()), "step %q: %s takes no input %q", st.ID, st.Uses, k.name)
			}
			continue
		}
		if k.literal {
			if msg := prop.mismatch(k.value); msg != "" {
				r.errorf(k.pos, "", "step %q: input %q of %s %s", st.ID, k.name, st.Uses, msg)
			}
		}
	}
	var missing []string
	for _, req := range sch.Required {
		if !have[req] {
			missing = append(missing, req)
		}
	}
	if len(missing) > 0 {
		r.errorf(w.pos, "", "step %q: %s needs the input %s", st.ID, st.Uses, quoteList(missing))
	}
}

func hintFor(name string, known []string) string {
	if h := didYouMean(name, known); h != "" {
		return h
	}
	return "it takes: " + strings.Join(known, ", ")
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// schema is the part of a JSON Schema the checker reads.
type schema struct {
	Type                 any                `json:"type"`
	Properties           map[string]*schema `json:"properties"`
	Required             []string           `json:"required"`
	AdditionalProperties any                `json:"additionalProperties"`
	Items                *schema            `json:"items"`
	Enum                 []any              `json:"enum"`
}

func (s *schema) closed() bool { b, ok := s.AdditionalProperties.(bool); return ok && !b }

func (s *schema) names() []string {
	out := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (s *schema) types() []string {
	switch t := s.Type.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if str, ok := x.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}

// mismatch says how literal data v breaks s, or "" when it fits.
func (s *schema) mismatch(v any) string {
	if ts := s.types(); len(ts) > 0 {
		fits := false
		for _, t := range ts {
			fits = fits || jsonTypeFits(v, t)
		}
		if !fits {
			named := make([]string, len(ts))
			for i, t := range ts {
				named[i] = jsonTypeName(t)
			}
			return fmt.Sprintf("must be %s, not %s", strings.Join(named, " or "), jsonTypeOf(v))
		}
	}
	if len(s.Enum) > 0 {
		found := false
		for _, e := range s.Enum {
			found = found || fmt.Sprint(e) == fmt.Sprint(v)
		}
		if !found {
			return fmt.Sprintf("must be one of %v, not %v", s.Enum, v)
		}
	}
	if l, ok := v.([]any); ok && s.Items != nil {
		for i, e := range l {
			if msg := s.Items.mismatch(e); msg != "" {
				return fmt.Sprintf("entry %d %s", i+1, msg)
			}
		}
	}
	return ""
}

func jsonTypeFits(v any, t string) bool {
	switch t {
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		_, ok := v.(int)
		return ok
	case "number":
		switch v.(type) {
		case int, float64:
			return true
		}
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "null":
		return v == nil
	}
	return false
}

func jsonTypeName(t string) string {
	switch t {
	case "integer", "array", "object":
		return "an " + t
	case "null":
		return "null"
	}
	return "a " + t
}

func jsonTypeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case int:
		return "an integer"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

var schemaCache sync.Map // sha256 of the schema → *schema

func parseSchema(data []byte) (*schema, error) {
	key := sha256.Sum256(data)
	if s, ok := schemaCache.Load(key); ok {
		return s.(*schema), nil
	}
	var s schema
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("parse input schema: %w", err)
	}
	schemaCache.Store(key, &s)
	return &s, nil
}
