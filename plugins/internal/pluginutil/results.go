package pluginutil

import (
	"encoding/json"

	"github.com/rampartsec/rampart/actions/sdk"
)

// NoInput is the input schema of an action that takes no input.
const NoInput = `{"type":"object","additionalProperties":false}`

// CountOutput is the output schema of a batch action that answers how many entries it
// changed, in field, of how many were requested: {field: n, "requested": m}. An empty
// description leaves field undescribed.
func CountOutput(field, description string) string {
	count := `{"type":"integer","minimum":0}`
	if description != "" {
		count = `{"type":"integer","minimum":0,"description":` + jsonString(description) + `}`
	}
	return `{"type":"object","required":[` + jsonString(field) + `,"requested"],"properties":{
  ` + jsonString(field) + `:` + count + `,
  "requested":{"type":"integer","minimum":0}}}`
}

// ListOutput is the output schema of a list action, {"count": n, "entries": [...]} as
// ListResult encodes it, with item the schema of one entry.
func ListOutput(item string) string {
	return `{"type":"object","required":["entries","count"],"properties":{
  "count":{"type":"integer"},
  "entries":{"type":"array","items":` + item + `}}}`
}

// ListResult encodes the result of a list action: {"count": len(entries), "entries":
// entries}, with an empty list (not null) when there are none.
func ListResult[T any](entries []T) (map[string]any, error) {
	if entries == nil {
		entries = []T{}
	}
	return sdk.Encode(struct {
		Count   int `json:"count"`
		Entries []T `json:"entries"`
	}{len(entries), entries})
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}
