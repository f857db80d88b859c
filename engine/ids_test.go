package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/playbooks"
)

func TestTaskPriority(t *testing.T) {
	tests := []struct{ p, want int }{{100, 1}, {90, 1}, {89, 2}, {70, 2}, {50, 3}, {30, 3}, {29, 4}, {10, 4}, {9, 5}, {0, 5}}
	for _, tt := range tests {
		if got := TaskPriority(tt.p); got != tt.want {
			t.Errorf("TaskPriority(%d) = %d, want %d", tt.p, got, tt.want)
		}
	}
}

func TestWorkflowID(t *testing.T) {
	id := WorkflowID("acme", "block-c2", 4, "evt-9")
	if id != "acme/block-c2@4/evt-9" {
		t.Fatalf("id %q", id)
	}
	org, pv, rest, ok := ParseWorkflowID(retryID(id, 2))
	if !ok || org != "acme" || pv != "block-c2@4" || rest != "evt-9/retry-2" || rootOf(retryID(id, 2)) != id {
		t.Errorf("parse %q %q %q %v", org, pv, rest, ok)
	}
	if _, _, _, ok := ParseWorkflowID("not-a-run"); ok {
		t.Error("parsed a non-run id")
	}
}

func TestMayApprove(t *testing.T) {
	tests := []struct {
		approvers []string
		d         Decision
		want      bool
	}{
		{nil, Decision{By: "a", Org: "acme"}, true},
		{nil, Decision{By: "a", Org: "other"}, false},
		{[]string{"role:analyst"}, Decision{By: "a", Org: "acme", Roles: []string{"viewer", "analyst"}}, true},
		{[]string{"role:analyst"}, Decision{By: "a", Org: "other", Roles: []string{"analyst"}}, false},
		{[]string{"user:boss"}, Decision{By: "boss", Org: "acme"}, true},
		{[]string{"user:boss"}, Decision{By: "boss", Org: "other"}, false},
		{[]string{"org:partner"}, Decision{By: "x", Org: "partner"}, true},
		{[]string{"role:analyst", "user:boss"}, Decision{By: "eve", Org: "acme", Roles: []string{"viewer"}}, false},
	}
	for i, tt := range tests {
		if got := MayApprove(tt.approvers, "acme", tt.d); got != tt.want {
			t.Errorf("case %d: MayApprove(%v, %+v) = %v", i, tt.approvers, tt.d, got)
		}
	}
}

func TestManualInputs(t *testing.T) {
	src := `name: manual
on:
  manual:
    inputs:
      target: {type: string, required: true}
      note: {type: string, default: "none"}
steps:
  - id: a
    uses: test/echo
    with: {t: "${{ inputs.target }}", n: "${{ inputs.note }}"}
`
	tests := []struct {
		name   string
		inputs map[string]any
		status string
		want   string
	}{
		{"default applied", map[string]any{"target": "x"}, RunSucceeded, "map[n:none t:x]"},
		{"given value kept", map[string]any{"target": "x", "note": "hi"}, RunSucceeded, "map[n:hi t:x]"},
		{"required missing", map[string]any{}, RunFailed, `input "target" is required`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, &calls{}, nil)
			in := input(src)
			in.Trigger = Trigger{Inputs: tt.inputs, Event: &playbooks.Event{ID: "m", Kind: "manual"}}
			env.ExecuteWorkflow(WorkflowName, in)
			r := result(t, env)
			if r.Status != tt.status {
				t.Fatalf("status %s: %s", r.Status, r.Error)
			}
			got := r.Error
			if r.Status == RunSucceeded {
				got = fmt.Sprint(r.Step("a").Output)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestApprovalWithoutTimeoutWaitsForTheDecision(t *testing.T) {
	env := newTestEnv(t, &calls{}, nil)
	var refused error
	decideWhenWaiting(env, Decision{StepID: "ok", Approve: true, By: "alice", Org: "acme"}, 30*24*time.Hour, &refused)
	env.ExecuteWorkflow(WorkflowName, input(header+"  - id: ok\n    approval:\n      message: go?\n      approvers: [org:acme]\n"))
	r := result(t, env)
	if refused != nil || r.Status != RunSucceeded || r.Step("ok").Approval.By != "alice" {
		t.Fatalf("run %s [%s] refused %v", r.Status, statuses(r), refused)
	}
	if d := r.EndedAt.Sub(r.StartedAt); d != 30*24*time.Hour {
		t.Errorf("decided after %v of test time", d)
	}
}
