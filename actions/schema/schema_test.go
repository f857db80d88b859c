package schema

import (
	"reflect"
	"strings"
	"testing"
)

const blockInput = `{
  "type": "object",
  "required": ["addresses"],
  "additionalProperties": false,
  "properties": {
    "addresses": {"type": "array", "minItems": 1, "items": {"type": "string", "format": "ipv4"}},
    "expires": {"type": "string"},
    "nested": {"type": "object", "properties": {"n": {"type": "integer"}}}
  }
}`

func TestValidateNamesTheField(t *testing.T) {
	s, err := Compile("firewall/block input", []byte(blockInput))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   any
		want string // "" valid
	}{
		{"valid", map[string]any{"addresses": []any{"192.0.2.1"}, "expires": "72h"}, ""},
		{"missing", map[string]any{}, "input: missing property 'addresses'"},
		{"wrong item type", map[string]any{"addresses": []any{"192.0.2.1", 7}}, "input.addresses[1]: got number, want string"},
		{"nested", map[string]any{"addresses": []any{"192.0.2.1"}, "nested": map[string]any{"n": "x"}}, "input.nested.n: got string, want integer"},
		{"unknown field", map[string]any{"addresses": []any{"192.0.2.1"}, "bogus": 1}, "input: additional properties 'bogus' not allowed"},
		{"go ints", map[string]any{"addresses": []string{"192.0.2.1"}, "nested": map[string]int{"n": 3}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Validate("input", tt.in)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestCompileRejectsBadSchema(t *testing.T) {
	for _, raw := range []string{`{`, `{"type": 7}`} {
		if _, err := Compile("bad", []byte(raw)); err == nil {
			t.Errorf("Compile(%s) accepted a broken schema", raw)
		}
	}
}

func TestSecretFields(t *testing.T) {
	got, err := SecretFields([]byte(`{"type":"object","properties":{
		"url":{"type":"string"},"password":{"type":"string","x-secret":true},
		"api_key":{"type":"string","x-secret":true},"user":{"type":"string","x-secret":false}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"api_key", "password"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("SecretFields = %v, want %v", got, want)
	}
}
