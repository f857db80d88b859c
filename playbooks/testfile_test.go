package playbooks

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseTests(t *testing.T) {
	src := `cases:
  - name: blocks a confident C2 address
    trigger:
      indicator: {type: ipv4, value: 203.0.113.9, confidence: 90, threat_rating: 4, tlp: amber, tags: [c2], first_seen: "2026-01-02T03:04:05Z"}
      event: {id: ev-1, kind: indicator.created, org: acme, payload: {a: 1}}
    mocks:
      block: {output: {blocked: 1}}
      enrich: {error: "upstream timeout", retryable: false}
      approve-dns: {decision: approve, by: alice, role: analyst, comment: "ok"}
    expect:
      triggered: true
      priority: 80
      status: succeeded
      steps:
        block: {status: succeeded, input: {addresses: ["203.0.113.9"]}}
        ticket: {status: skipped}
  - name: a batch
    trigger:
      indicators: [{type: domain, value: a.example}, {type: ipv4, value: 192.0.2.1}]
    expect: {triggered: false}
`
	suite, ds := ParseTests("dir/foo_test.yaml", []byte(src))
	if suite == nil || len(ds) != 0 {
		t.Fatal(ds.Error())
	}
	if suite.Playbook != "foo.yaml" || suite.File != "dir/foo_test.yaml" || len(suite.Cases) != 2 {
		t.Fatalf("suite = %+v", suite)
	}
	c := suite.Cases[0]
	if c.Name != "blocks a confident C2 address" || c.Pos != (Pos{Line: 2, Col: 5}) {
		t.Fatalf("case = %q at %+v", c.Name, c.Pos)
	}
	ind := c.Trigger.Indicator
	if ind.Value != "203.0.113.9" || ind.Confidence != 90 || ind.ThreatRating != 4 || ind.TLP != "amber" ||
		!reflect.DeepEqual(ind.Tags, []string{"c2"}) || ind.FirstSeen.Day() != 2 {
		t.Fatalf("indicator = %+v", ind)
	}
	if ev := c.Trigger.Event; ev.ID != "ev-1" || ev.Org != "acme" || ev.Payload["a"] != 1 {
		t.Fatalf("event = %+v", ev)
	}
	wantMocks := map[string]Mock{
		"block":       {Output: map[string]any{"blocked": 1}},
		"enrich":      {Error: "upstream timeout"},
		"approve-dns": {Decision: "approve", By: "alice", Role: "analyst", Comment: "ok"},
	}
	if !reflect.DeepEqual(c.Mocks, wantMocks) {
		t.Fatalf("mocks = %#v", c.Mocks)
	}
	e := c.Expect
	if e.Triggered == nil || !*e.Triggered || e.Priority == nil || *e.Priority != 80 || e.Status != "succeeded" {
		t.Fatalf("expect = %+v", e)
	}
	if !reflect.DeepEqual(e.Steps["block"], StepExpect{Status: "succeeded", Input: map[string]any{"addresses": []any{"203.0.113.9"}}}) ||
		e.Steps["ticket"].Status != "skipped" {
		t.Fatalf("step expectations = %#v", e.Steps)
	}
	b := suite.Cases[1]
	if len(b.Trigger.Indicators) != 2 || b.Trigger.Indicators[0].Type != "domain" || *b.Expect.Triggered {
		t.Fatalf("second case = %+v", b)
	}
	named, _ := ParseTests("x_test.yaml", []byte("playbook: other.yaml\n"+src))
	if named.Playbook != "other.yaml" {
		t.Fatalf("playbook = %q", named.Playbook)
	}
}

func TestInvalidTestsGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid-tests/*.yaml")
	if len(files) == 0 {
		t.Fatal("no invalid test files")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, _ := os.ReadFile(file)
			suite, ds := ParseTests(file, src)
			if suite != nil || !ds.HasErrors() {
				t.Fatalf("parsed without errors: %v", ds)
			}
			got := ds.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				os.WriteFile(golden, []byte(got), 0o644)
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil || got != string(want) {
				t.Errorf("diagnostics differ from %s (%v)\ngot:\n%s\nwant:\n%s", golden, err, got, want)
			}
		})
	}
}

// TestExampleSuitesCheck checks every example test file against its playbook.
func TestExampleSuitesCheck(t *testing.T) {
	files, _ := filepath.Glob("../examples/playbooks/*_test.yaml")
	for _, file := range files {
		src, _ := os.ReadFile(file)
		suite, ds := ParseTests(file, src)
		if suite == nil {
			t.Fatalf("%s: %s", file, ds.Error())
		}
		pbFile := filepath.Join(filepath.Dir(file), suite.Playbook)
		pbSrc, err := os.ReadFile(pbFile)
		if err != nil {
			t.Fatal(err)
		}
		pb, ds := Compile(pbFile, pbSrc, Options{})
		if pb == nil {
			t.Fatalf("%s: %s", pbFile, ds.Error())
		}
		if ds := suite.Check(pb); len(ds) > 0 {
			t.Errorf("%s:\n%s", file, ds.Error())
		}
	}
}

func TestSuiteCheck(t *testing.T) {
	pb, ds := Compile("p.yaml", []byte(`name: p
on: {indicator: {types: [ipv4]}}
steps:
  - id: ask
    approval: {message: "ok?", approvers: [role:analyst]}
  - id: block
    uses: firewall/block
  - id: pause
    wait: 1m
`), Options{})
	if pb == nil {
		t.Fatal(ds.Error())
	}
	suite, ds := ParseTests("p_test.yaml", []byte(`cases:
  - name: c
    trigger: {inputs: {a: 1}}
    mocks:
      ask: {output: {x: 1}}
      block: {decision: approve}
      pause: {output: {}}
      blok: {output: {}}
    expect:
      steps:
        nope: {status: skipped}
`))
	if suite == nil {
		t.Fatal(ds.Error())
	}
	got := suite.Check(pb).Error()
	for _, want := range []string{
		`p_test.yaml:2:5: error: case "c": p is triggered by one indicator`,
		`p_test.yaml:5:7: error: case "c": step "ask" is an approval: mock its decision`,
		`p_test.yaml:6:7: error: case "c": step "block" is a uses step: mock its output or error`,
		`p_test.yaml:7:7: error: case "c": step "pause" is a wait step, which runs without a mock`,
		`p_test.yaml:8:7: error: case "c" mocks step "blok", which p does not have`,
		`p_test.yaml:11:9: error: case "c" expects step "nope", which p does not have`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, got)
		}
	}
}
