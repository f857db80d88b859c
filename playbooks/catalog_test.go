package playbooks

// testOptions is the catalog the tests compile against: the bundled plugins' actions as
// their schemas describe them, core/http, and the demo organisation's connections.
var testOptions = Options{
	Actions: func(name string) (ActionSpec, bool) {
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
	"core/http": `{"type": "object", "additionalProperties": false, "required": ["url"],
		"properties": {"method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]}, "url": {"type": "string"},
		"headers": {"type": "object"}, "body": {}}}`,
}
