// Package schema checks action inputs, outputs and connection configs against the JSON
// Schemas plugins declare (github.com/santhosh-tekuri/jsonschema/v6), with messages that
// name the offending field the way a playbook author writes it: `input.addresses[0]: ...`.
// It also reads the "x-secret" keyword that marks a connection property secret.
package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// SecretKeyword marks a connection-schema property secret: `"password": {"type": "string",
// "x-secret": true}`. Secret properties are encrypted at rest and never displayed.
const SecretKeyword = "x-secret"

var printer = message.NewPrinter(language.English)

// Schema is a compiled JSON Schema.
type Schema struct {
	s *jsonschema.Schema
}

// Compile compiles raw (a JSON Schema document); name identifies it in errors. An empty raw
// schema accepts any object.
func Compile(name string, raw []byte) (*Schema, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte(`{"type":"object"}`)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("schema %s: not JSON: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	url := "mem:///" + strings.ReplaceAll(name, " ", "_") + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	return &Schema{s: s}, nil
}

// Validate checks v, a JSON-compatible value. root names the value in messages ("input",
// "output", "connection"). The error lists every violation, one per line, sorted.
func (s *Schema) Validate(root string, v any) error {
	// Round-trip through JSON so Go values (ints, structs) look as the schema expects.
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s: not JSON: %w", root, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%s: not JSON: %w", root, err)
	}
	err = s.s.Validate(doc)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return fmt.Errorf("%s: %w", root, err)
	}
	var msgs []string
	leaves(ve, func(e *jsonschema.ValidationError) {
		msgs = append(msgs, Path(root, e.InstanceLocation)+": "+e.ErrorKind.LocalizedString(printer))
	})
	sort.Strings(msgs)
	msgs = dedupe(msgs)
	return &Error{Messages: msgs}
}

// Error lists the violations of one value.
type Error struct {
	Messages []string
}

func (e *Error) Error() string { return strings.Join(e.Messages, "; ") }

func leaves(e *jsonschema.ValidationError, f func(*jsonschema.ValidationError)) {
	if len(e.Causes) == 0 {
		f(e)
		return
	}
	for _, c := range e.Causes {
		leaves(c, f)
	}
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, m := range s {
		if i == 0 || m != s[i-1] {
			out = append(out, m)
		}
	}
	return out
}

// Path renders a JSON Pointer's tokens as root.field[0].sub.
func Path(root string, loc []string) string {
	var sb strings.Builder
	sb.WriteString(root)
	for _, tok := range loc {
		if _, err := strconv.Atoi(tok); err == nil {
			sb.WriteString("[" + tok + "]")
			continue
		}
		sb.WriteString("." + tok)
	}
	return sb.String()
}

// SecretFields returns the top-level properties of a connection schema marked "x-secret":
// true, sorted.
func SecretFields(raw []byte) ([]string, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var doc struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("schema: connection schema: %w", err)
	}
	var out []string
	for name, p := range doc.Properties {
		if v, ok := p[SecretKeyword].(bool); ok && v {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Coerce converts string values given on a command line (`--set port=443`) to the types the
// schema's top-level properties declare: integer, number and boolean are parsed, array and
// object are read as JSON, anything else stays a string.
func Coerce(raw []byte, vals map[string]string) (map[string]any, error) {
	var doc struct {
		Properties map[string]struct {
			Type any `json:"type"`
		} `json:"properties"`
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
	}
	out := make(map[string]any, len(vals))
	for k, v := range vals {
		typ, _ := doc.Properties[k].Type.(string)
		switch typ {
		case "integer", "number", "boolean", "array", "object":
			var x any
			if err := json.Unmarshal([]byte(v), &x); err != nil {
				return nil, fmt.Errorf("%s: want %s", k, typ)
			}
			out[k] = x
		default:
			out[k] = v
		}
	}
	return out, nil
}
