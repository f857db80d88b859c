package playbooks

import "github.com/rampartsec/rampart/actions/core"

// testOptions is the catalog the tests compile against: the bundled plugins' actions as
// their schemas describe them, the core/* built-ins as they describe themselves (so that an
// example using a core/http input the built-in takes, such as decode_json, compiles), and the
// demo organisation's connections.
var testOptions = Options{
	Actions: func(name string) (ActionSpec, bool) {
		if c, ok := core.Lookup(name); ok {
			return ActionSpec{Name: name, InputSchema: c.InputSchema}, true
		}
		s, ok := testSchemas[name]
		if !ok {
			return ActionSpec{}, false
		}
		return ActionSpec{Name: name, InputSchema: []byte(s)}, true
	},
	Connections: func(name string) bool {
		return name == "perimeter-fw" || name == "dns-rpz" || name == "soc-jira"
	},
}

var testSchemas = map[string]string{
	"firewall/block": `{"type": "object", "additionalProperties": false, "required": ["addresses"],
		"properties": {"addresses": {"type": "array", "items": {"type": "string"}},
		"expires": {"type": "string"}, "comment": {"type": "string"}}}`,
	"firewall/list": `{"type": "object", "additionalProperties": false, "properties": {}}`,
	"dnssinkhole/sinkhole": `{"type": "object", "additionalProperties": false, "required": ["domains"],
		"properties": {"domains": {"type": "array", "items": {"type": "string"}}, "comment": {"type": "string"}}}`,
	"ticketing/create": `{"type": "object", "additionalProperties": false, "required": ["title"],
		"properties": {"title": {"type": "string"}, "severity": {"enum": ["low", "medium", "high", "critical"]},
		"description": {"type": "string"}, "labels": {"type": "array", "items": {"type": "string"}}}}`,
}
