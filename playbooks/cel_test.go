package playbooks

import (
	"strconv"
	"strings"
	"testing"
)

func compileSrc(t *testing.T, src string) (*Playbook, Diagnostics) {
	t.Helper()
	return Compile("t.yaml", []byte(src), Options{})
}

// TestCELTyping checks what when, if and priority accept, by the declared types.
func TestCELTyping(t *testing.T) {
	tests := []struct {
		name    string
		on      string
		when    string
		wantErr string // "" when it compiles
	}{
		{"bool condition", "indicator: {}", `indicator.confidence >= 70`, ""},
		{"string fields", "indicator: {}", `indicator.tlp == "amber" && indicator.value.endsWith(".ru")`, ""},
		{"list membership", "indicator: {}", `"c2" in indicator.tags`, ""},
		{"timestamps", "indicator: {}", `indicator.last_seen > indicator.first_seen`, ""},
		{"double field", "indicator: {}", `indicator.weight > 0.5`, ""},
		{"event fields", "schedule: {cron: '@daily'}", `event.kind == "schedule" && event.depth < 3`, ""},
		{"event payload is dyn", "webhook: {}", `event.payload.severity == "high"`, ""},
		{"inputs in manual", "manual: {inputs: {force: {type: bool}}}", `inputs.force == true`, ""},
		{"run fields", "manual", `run.version > 1 && run.org != ""`, ""},
		{"batch indicators", "indicator: {batch: {max_size: 100}}", `indicators.exists(i, i.confidence > 90)`, ""},
		{"network functions", "indicator: {types: [ipv4]}", `cidr("10.0.0.0/8").containsIP(ip(indicator.value))`, ""},
		{"string functions", "indicator: {}", `indicator.value.lowerAscii().contains("evil")`, ""},
		{"misspelt field", "indicator: {}", `indicator.confidance > 1`, "undefined field 'confidance'"},
		{"int is not bool", "indicator: {}", `indicator.confidence`, "when must be a bool, but this expression is an int"},
		{"string is not bool", "indicator: {}", `indicator.value`, "when must be a bool, but this expression is a string"},
		{"type mismatch", "indicator: {}", `indicator.confidence == "high"`, "no matching overload"},
		{"unknown variable", "indicator: {}", `indicatr.value == ""`, "undeclared reference to 'indicatr'"},
		{"no clock", "indicator: {}", `now() > indicator.first_seen`, "undeclared reference to 'now'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "name: t\non:\n  " + tt.on + "\nwhen: '" + strings.ReplaceAll(tt.when, "'", "''") + "'\nsteps:\n  - {id: w, wait: 1m}\n"
			pb, ds := compileSrc(t, src)
			if tt.wantErr == "" {
				if pb == nil {
					t.Fatalf("compile:\n%s", ds.Error())
				}
				return
			}
			if pb != nil || !strings.Contains(ds.Error(), tt.wantErr) {
				t.Fatalf("diagnostics %q do not contain %q", ds.Error(), tt.wantErr)
			}
		})
	}
}

func TestPriorityTyping(t *testing.T) {
	tests := []struct {
		expr    string
		wantErr string
	}{
		{"80", ""},
		{"indicator.threat_rating * 20", ""},
		{"int(indicator.weight * 10.0)", ""},
		{"indicator.weight * 10.0", "priority must be an int, but this expression is a double"},
		{"indicator.tlp", "priority must be an int, but this expression is a string"},
		{"101", "priority must be between 0 and 100, not 101"},
		{"priority + 1", "priority is not bound in priority"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			pb, ds := compileSrc(t, "name: t\non: {indicator: {}}\npriority: "+tt.expr+"\nsteps:\n  - {id: w, wait: 1m}\n")
			if tt.wantErr == "" {
				if pb == nil {
					t.Fatal(ds.Error())
				}
				return
			}
			if !strings.Contains(ds.Error(), tt.wantErr) {
				t.Fatalf("diagnostics %q do not contain %q", ds.Error(), tt.wantErr)
			}
		})
	}
}

// TestCondEval evaluates compiled conditions against values.
func TestCondEval(t *testing.T) {
	src := `name: t
on: {indicator: {types: [ipv4, domain]}}
when: indicator.confidence >= 70 && indicator.tlp != "red" && !("benign" in indicator.tags)
priority: 'indicator.threat_rating * 20 + (size(indicator.tags) > 1 ? 5 : 0)'
steps:
  - id: block
    uses: firewall/block
    with: {addresses: ["${{ indicator.value }}"]}
  - id: pick
    set: {score: 42}
  - id: ticket
    if: steps.block.status == "succeeded" && steps.block.output.blocked == 1 && vars.score > 40 && priority >= 60
    uses: ticketing/create
`
	pb, ds := compileSrc(t, src)
	if pb == nil {
		t.Fatal(ds.Error())
	}
	tests := []struct {
		name     string
		ind      Indicator
		when     bool
		priority int64
	}{
		{"confident amber", Indicator{Type: "ipv4", Confidence: 90, TLP: "amber", ThreatRating: 4, Tags: []string{"c2"}}, true, 80},
		{"low confidence", Indicator{Type: "ipv4", Confidence: 50, TLP: "amber", ThreatRating: 1}, false, 20},
		{"red", Indicator{Type: "ipv4", Confidence: 99, TLP: "red", ThreatRating: 5}, false, 100},
		{"benign tag", Indicator{Type: "domain", Confidence: 99, TLP: "clear", ThreatRating: 3, Tags: []string{"x", "benign"}}, false, 65},
		{"no tags at all", Indicator{Type: "domain", Confidence: 70}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &Env{Indicator: &tt.ind}
			got, err := pb.When.Eval(env)
			if err != nil || got != tt.when {
				t.Fatalf("when = %v, %v; want %v", got, err, tt.when)
			}
			p, err := pb.Priority.Eval(env)
			if err != nil || p != tt.priority {
				t.Fatalf("priority = %v, %v; want %v", p, err, tt.priority)
			}
		})
	}
	env := &Env{Indicator: &Indicator{}, Priority: 60,
		Steps: map[string]StepResult{"block": {Status: StatusSucceeded, Output: map[string]any{"blocked": 1}}, "pick": {Status: StatusSucceeded}},
		Vars:  map[string]any{"score": 42}}
	if ok, err := pb.Steps[2].If.Eval(env); err != nil || !ok {
		t.Fatalf("if = %v, %v; want true", ok, err)
	}
	env.Steps["block"] = StepResult{Status: StatusFailed, Error: "boom"}
	if ok, err := pb.Steps[2].If.Eval(env); err != nil || ok {
		t.Fatalf("if on a failed step = %v, %v; want false", ok, err)
	}
}

func TestCondEvalErrors(t *testing.T) {
	pb, ds := compileSrc(t, "name: t\non: manual\nwhen: 'inputs.n / 0 == 1'\nsteps:\n  - {id: w, wait: 1m}\n")
	if pb == nil {
		t.Fatal(ds.Error())
	}
	_, err := pb.When.Eval(&Env{Inputs: map[string]any{"n": 1}})
	if err == nil || !strings.Contains(err.Error(), "condition at 3:7") {
		t.Fatalf("err = %v, want a division error at the condition's position", err)
	}
	var nilCond *Cond
	if _, err := nilCond.Eval(&Env{}); err == nil {
		t.Fatal("a nil condition evaluated")
	}
}

// TestCELCost checks the estimated bound and the runtime limit.
func TestCELCost(t *testing.T) {
	nested := `indicators.all(a, indicators.all(b, a.value != b.value || a.id == b.id))`
	tests := []struct {
		name     string
		batch    int
		when     string
		wantErr  string
		tracking bool
	}{
		{"simple condition is cheap and untracked", 100, `size(indicators) > 0`, "", false},
		{"a loop over a small batch is cheap", 100, `indicators.exists(i, i.confidence > 90)`, "", false},
		{"a nested loop over a small batch is tracked", 20, nested, "", true},
		{"a nested loop over a large batch is refused", 5000, nested, "over the bound of 200000", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "name: t\non: {indicator: {batch: {max_size: " + itoa(tt.batch) + "}}}\nwhen: '" + tt.when + "'\nsteps:\n  - {id: w, wait: 1m}\n"
			pb, ds := compileSrc(t, src)
			if tt.wantErr != "" {
				if pb != nil || !strings.Contains(ds.Error(), tt.wantErr) {
					t.Fatalf("diagnostics %q do not contain %q", ds.Error(), tt.wantErr)
				}
				return
			}
			if pb == nil {
				t.Fatal(ds.Error())
			}
			if pb.When.prg.tracking != tt.tracking {
				t.Fatalf("tracking = %v, want %v", pb.When.prg.tracking, tt.tracking)
			}
		})
	}
	// A tracked condition stops when the runtime cost passes the bound, even when the
	// batch is larger than the estimate assumed.
	pb, ds := compileSrc(t, "name: t\non: {indicator: {batch: {max_size: 20}}}\nwhen: '"+nested+"'\nsteps:\n  - {id: w, wait: 1m}\n")
	if pb == nil {
		t.Fatal(ds.Error())
	}
	inds := make([]*Indicator, 1000)
	for i := range inds {
		inds[i] = &Indicator{ID: itoa(i), Value: itoa(i)}
	}
	_, err := pb.When.Eval(&Env{Indicators: inds})
	if err == nil || !strings.Contains(err.Error(), "cost limit") {
		t.Fatalf("err = %v, want the runtime cost limit", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
