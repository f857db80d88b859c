package playbooks

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// compileWith compiles a one-step playbook whose step has the given with block, on an
// indicator trigger, and returns the step's template.
func compileWith(t *testing.T, with string) *Template {
	t.Helper()
	src := "name: t\non: {indicator: {types: [ipv4]}}\nsteps:\n  - id: s\n    uses: x/y\n    with:\n" + with
	pb, ds := Compile("t.yaml", []byte(src), Options{})
	if pb == nil {
		t.Fatalf("compile:\n%s", ds.Error())
	}
	return pb.Steps[0].With
}

func TestTemplateRender(t *testing.T) {
	env := &Env{
		Indicator: &Indicator{ID: "ind-7", Type: "ipv4", Value: "203.0.113.9", Confidence: 90, Weight: 1.5,
			Tags: []string{"c2", "apt"}, FirstSeen: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		Priority: 80,
		Run:      RunInfo{ID: "run-1", Playbook: "t", Version: 3},
	}
	tests := []struct {
		name string
		with string
		want map[string]any
	}{
		{"a lone template keeps a string", `      v: ${{ indicator.value }}`, map[string]any{"v": "203.0.113.9"}},
		{"a lone template keeps an int", `      v: ${{ indicator.confidence }}`, map[string]any{"v": 90}},
		{"a lone template keeps a float", `      v: ${{ indicator.weight }}`, map[string]any{"v": 1.5}},
		{"a lone template keeps a bool", `      v: ${{ indicator.confidence > 50 }}`, map[string]any{"v": true}},
		{"a lone template keeps a list", `      v: ${{ indicator.tags }}`, map[string]any{"v": []any{"c2", "apt"}}},
		{"a lone template keeps a map", `      v: '${{ {"a": 1, "b": [indicator.value]} }}'`, map[string]any{"v": map[string]any{"a": 1, "b": []any{"203.0.113.9"}}}},
		{"spaces around a lone template keep the type", `      v: " ${{ priority }} "`, map[string]any{"v": " 80 "}},
		{"text around a template interpolates", `      v: "ip ${{ indicator.value }} at ${{ priority }}"`, map[string]any{"v": "ip 203.0.113.9 at 80"}},
		{"a list interpolates as JSON", `      v: "tags=${{ indicator.tags }}"`, map[string]any{"v": `tags=["c2","apt"]`}},
		{"a time renders as RFC 3339", `      v: ${{ indicator.first_seen }}`, map[string]any{"v": "2026-01-02T03:04:05Z"}},
		{"null interpolates as nothing", `      v: "x${{ nil }}y"`, map[string]any{"v": "xy"}},
		{"templates inside lists", `      v: ["${{ indicator.value }}", literal, 3]`, map[string]any{"v": []any{"203.0.113.9", "literal", 3}}},
		{"templates inside maps", `      v: {ip: "${{ indicator.value }}", n: 1}`, map[string]any{"v": map[string]any{"ip": "203.0.113.9", "n": 1}}},
		{"literals keep their YAML types", `      a: 72h
      b: 3
      c: 2.5
      d: true
      e: null`, map[string]any{"a": "72h", "b": 3, "c": 2.5, "d": true, "e": nil}},
		{"run is bound", `      v: "${{ run.id }}/${{ run.version }}"`, map[string]any{"v": "run-1/3"}},
		{"expr builtins work", `      v: ${{ upper(indicator.type) + "-" + join(indicator.tags, "+") }}`, map[string]any{"v": "IPV4-c2+apt"}},
		{"a conditional", `      v: '${{ indicator.id == "ind-7" ? "yes" : "no" }}'`, map[string]any{"v": "yes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := compileWith(t, tt.with).Render(env)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestTemplateRenderIsIsolated(t *testing.T) {
	tmpl := compileWith(t, "      a: [1, 2]\n      b: {c: d}\n")
	if !tmpl.Static() {
		t.Fatal("a block without templates is not static")
	}
	first, err := tmpl.Render(nil)
	if err != nil {
		t.Fatal(err)
	}
	first.(map[string]any)["a"].([]any)[0] = "changed"
	second, _ := tmpl.Render(nil)
	if second.(map[string]any)["a"].([]any)[0] != 1 {
		t.Fatal("changing a rendered value changed the compiled template")
	}
}

func TestTemplateRenderStructs(t *testing.T) {
	src := `name: t
on: {indicator: {types: [ipv4], batch: {max_size: 10}}}
steps:
  - id: s
    uses: x/y
    for_each: ${{ indicators }}
    with:
      whole: ${{ item }}
      value: ${{ item.value }}
      index: ${{ index }}
`
	pb, ds := Compile("t.yaml", []byte(src), Options{})
	if pb == nil {
		t.Fatal(ds.Error())
	}
	inds := []*Indicator{{Type: "ipv4", Value: "192.0.2.1", Confidence: 70, Tags: []string{"x"}}}
	env := &Env{Indicators: inds}
	list, err := pb.Steps[0].ForEach.Render(env)
	if err != nil {
		t.Fatal(err)
	}
	items := list.([]any)
	if len(items) != 1 {
		t.Fatalf("for_each rendered %#v", list)
	}
	env.Item, env.Index = inds[0], 0
	got, err := pb.Steps[0].With.Render(env)
	if err != nil {
		t.Fatal(err)
	}
	m := got.(map[string]any)
	if m["value"] != "192.0.2.1" || m["index"] != 0 {
		t.Fatalf("with rendered %#v", m)
	}
	whole := m["whole"].(map[string]any)
	if whole["confidence"] != 70 || !reflect.DeepEqual(whole["tags"], []any{"x"}) {
		t.Fatalf("an indicator rendered as %#v", whole)
	}
}

func TestTemplateRenderErrors(t *testing.T) {
	tmpl := compileWith(t, `      v: ${{ indicator.tags[5] }}`)
	_, err := tmpl.Render(&Env{Indicator: &Indicator{Tags: []string{"a"}}})
	if err == nil || !strings.Contains(err.Error(), "template at 7:7") {
		t.Fatalf("err = %v, want an error naming the template's position", err)
	}
}
