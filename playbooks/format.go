package playbooks

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"
)

// This file writes a playbook in its canonical form: two-space indentation, the playbook's
// fields in the order name, description, on, when, priority, concurrency, steps, each step's
// fields in a fixed order, and every comment kept.

// stepOrder is the canonical order of a step's fields.
var stepOrder = []string{"id", "name", "if", "uses", "connection", "for_each", "max_parallel", "with",
	"approval", "wait", "parallel", "call", "set", "timeout", "retry", "on_error"}

var nestedOrder = map[string][]string{
	"approval":    {"message", "approvers", "timeout", "on_timeout"},
	"retry":       {"attempts", "backoff", "max_backoff"},
	"concurrency": {"key", "policy"},
	"call":        {"playbook", "inputs"},
	"batch":       {"max_size", "max_wait"},
	"schedule":    {"cron", "timezone"},
	"indicator":   {"types", "events", "batch"},
}

// Format returns src in canonical form. It fails only when src is not YAML.
func Format(src []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil { // the YAML encoder panics on some odd inputs
			out, err = nil, fmt.Errorf("format: cannot write this document: %v", r)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, errors.New("format: the document is empty")
	}
	root := doc.Content[0]
	if root.Kind == yaml.MappingNode && len(root.Content) > 0 {
		// a comment above the first field heads the file: it stays first
		first := root.Content[0]
		head := first.HeadComment
		reorder(root, topFields)
		if root.Content[0] != first && head != "" {
			first.HeadComment = ""
			if root.Content[0].HeadComment != "" {
				head += "\n" + root.Content[0].HeadComment
			}
			root.Content[0].HeadComment = head
		}
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			switch k.Value {
			case "steps":
				formatSteps(v)
			case "concurrency":
				reorder(v, nestedOrder["concurrency"])
			case "on":
				formatTrigger(v)
			}
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	return buf.Bytes(), nil
}

func formatTrigger(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if order, ok := nestedOrder[k.Value]; ok {
			reorder(v, order)
		}
		if k.Value == "indicator" && v.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(v.Content); j += 2 {
				if v.Content[j].Value == "batch" {
					reorder(v.Content[j+1], nestedOrder["batch"])
				}
			}
		}
	}
}

func formatSteps(n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		return
	}
	for _, st := range n.Content {
		if st.Kind != yaml.MappingNode {
			continue
		}
		reorder(st, stepOrder)
		for i := 0; i+1 < len(st.Content); i += 2 {
			k, v := st.Content[i], st.Content[i+1]
			switch k.Value {
			case "parallel", "on_error":
				formatSteps(v)
			default:
				if order, ok := nestedOrder[k.Value]; ok {
					reorder(v, order)
				}
			}
		}
	}
}

// reorder sorts a mapping's key/value pairs into order; unknown keys keep their relative
// order after the known ones.
func reorder(n *yaml.Node, order []string) {
	if n.Kind != yaml.MappingNode {
		return
	}
	type pair struct{ k, v *yaml.Node }
	pairs := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		pairs = append(pairs, pair{n.Content[i], n.Content[i+1]})
	}
	rank := func(key string) int {
		for i, o := range order {
			if o == key {
				return i
			}
		}
		return len(order)
	}
	sort.SliceStable(pairs, func(i, j int) bool { return rank(pairs[i].k.Value) < rank(pairs[j].k.Value) })
	for i, p := range pairs {
		n.Content[2*i], n.Content[2*i+1] = p.k, p.v
	}
}
