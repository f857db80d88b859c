package playbooks

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// This file reads yaml.Node trees: mappings with known fields, scalars of a given type, and
// lists, reporting every misfit at the node's position.

func nodePos(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

// describe names a node's shape for messages ("a list", "a string").
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!int":
			return "a number"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		}
		return "a string"
	}
	return "an empty document"
}

// field is one key of a mapping with its value.
type field struct {
	key *yaml.Node
	val *yaml.Node
}

// fieldSet is a mapping's fields by name, in source order.
type fieldSet struct {
	node  *yaml.Node
	order []string
	m     map[string]field
}

func (fs fieldSet) get(name string) (field, bool) { f, ok := fs.m[name]; return f, ok }

func (fs fieldSet) has(name string) bool { _, ok := fs.m[name]; return ok }

// mapping reads n as a mapping whose keys are among known, reporting unknown and repeated keys
// and the absence of required ones. what names the mapping in messages ("step", "retry").
// A nil fieldSet.m means n was not a mapping (already reported).
func (c *compiler) mapping(n *yaml.Node, what string, known []string, required ...string) fieldSet {
	fs := fieldSet{node: n, m: map[string]field{}}
	if n.Kind != yaml.MappingNode {
		c.errorf(nodePos(n), "", "%s must be a mapping, not %s", what, describe(n))
		fs.m = nil
		return fs
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			c.errorf(nodePos(k), "", "%s keys must be plain names, not %s", what, describe(k))
			continue
		}
		name := k.Value
		if !contains(known, name) {
			hint := didYouMean(name, known)
			if hint == "" {
				hint = "known fields: " + strings.Join(known, ", ")
			}
			c.errorf(nodePos(k), hint, "unknown field %q in %s", name, what)
			continue
		}
		if prev, dup := fs.m[name]; dup {
			c.errorf(nodePos(k), "", "field %q repeats the one at line %d in %s", name, prev.key.Line, what)
			continue
		}
		fs.m[name] = field{key: k, val: v}
		fs.order = append(fs.order, name)
	}
	for _, r := range required {
		if !fs.has(r) {
			c.errorf(nodePos(n), "", "%s is missing the required field %q", what, r)
		}
	}
	return fs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// str reads a scalar string. Numbers and booleans are refused: write them quoted.
func (c *compiler) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		c.errorf(nodePos(n), "", "%s must be a string, not %s", what, describe(n))
		return "", false
	}
	if n.Tag != "!!str" && n.Tag != "!" && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
		c.errorf(nodePos(n), fmt.Sprintf("quote it: %q", n.Value), "%s must be a string, not %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

// text reads a scalar as text whatever YAML thinks it is (an expression such as `true`).
func (c *compiler) text(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		c.errorf(nodePos(n), "", "%s must be a string, not %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

// integer reads a scalar int within [lo, hi].
func (c *compiler) integer(n *yaml.Node, what string, lo, hi int64) (int64, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		c.errorf(nodePos(n), "", "%s must be a whole number, not %s", what, describe(n))
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil || v < lo || v > hi {
		c.errorf(nodePos(n), "", "%s must be between %d and %d, not %s", what, lo, hi, n.Value)
		return 0, false
	}
	return v, true
}

// boolean reads a scalar bool.
func (c *compiler) boolean(n *yaml.Node, what string) (bool, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		c.errorf(nodePos(n), "", "%s must be true or false, not %s", what, describe(n))
		return false, false
	}
	return n.Value == "true" || n.Value == "True" || n.Value == "TRUE", true
}

// strList reads a list of strings; a single string is accepted as a list of one.
func (c *compiler) strList(n *yaml.Node, what string) ([]string, []*yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		if s, ok := c.str(n, what); ok {
			return []string{s}, []*yaml.Node{n}
		}
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		c.errorf(nodePos(n), "", "%s must be a list of strings, not %s", what, describe(n))
		return nil, nil
	}
	var out []string
	var nodes []*yaml.Node
	for _, item := range n.Content {
		if s, ok := c.str(item, what+" entries"); ok {
			out = append(out, s)
			nodes = append(nodes, item)
		}
	}
	return out, nodes
}

// oneOf checks that s, read from n, is one of allowed.
func (c *compiler) oneOf(n *yaml.Node, what, s string, allowed []string) bool {
	if contains(allowed, s) {
		return true
	}
	hint := didYouMean(s, allowed)
	if hint == "" {
		hint = "use one of: " + strings.Join(allowed, ", ")
	}
	c.errorf(nodePos(n), hint, "%s %q is not one of %s", what, s, strings.Join(allowed, ", "))
	return false
}

// literal converts a YAML value without templates into plain data: map[string]any, []any,
// string, int, float64, bool or nil.
func literal(n *yaml.Node) any {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = literal(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, item := range n.Content {
			l[i] = literal(item)
		}
		return l
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil
}

func scalarValue(n *yaml.Node) any {
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil && i >= math.MinInt && i <= math.MaxInt {
			return int(i)
		}
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	}
	return n.Value
}

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
