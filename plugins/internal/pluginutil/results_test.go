package pluginutil

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestOutputSchemas(t *testing.T) {
	tests := []struct {
		schema string
		want   string
	}{
		{CountOutput("blocked", ""), `{"type":"object","required":["blocked","requested"],"properties":{
			"blocked":{"type":"integer","minimum":0},"requested":{"type":"integer","minimum":0}}}`},
		{CountOutput("released", `say "why"`), `{"type":"object","required":["released","requested"],"properties":{
			"released":{"type":"integer","minimum":0,"description":"say \"why\""},"requested":{"type":"integer","minimum":0}}}`},
		{ListOutput(`{"type":"string"}`), `{"type":"object","required":["entries","count"],"properties":{
			"count":{"type":"integer"},"entries":{"type":"array","items":{"type":"string"}}}}`},
		{NoInput, `{"type":"object","additionalProperties":false}`},
	}
	for _, tt := range tests {
		var got, want any
		if err := json.Unmarshal([]byte(tt.schema), &got); err != nil {
			t.Fatalf("%v in %s", err, tt.schema)
		}
		if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("schema %s, want %s", tt.schema, tt.want)
		}
	}
}

func TestListResult(t *testing.T) {
	type entry struct {
		Name string `json:"name"`
	}
	got, err := ListResult([]entry{{"a"}, {"b"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if string(b) != `{"count":2,"entries":[{"name":"a"},{"name":"b"}]}` {
		t.Fatalf("ListResult = %s", b)
	}
	got, err = ListResult[entry](nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(got); string(b) != `{"count":0,"entries":[]}` {
		t.Fatalf("ListResult(nil) = %s", b)
	}
}
