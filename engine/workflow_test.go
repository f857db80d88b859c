package engine

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/playbooks"
)

// calls records the actions a test's executor performed.
type calls struct {
	mu   sync.Mutex
	reqs []actions.Request
}

func (c *calls) add(r actions.Request) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = append(c.reqs, r)
	return len(c.reqs)
}

func (c *calls) count(action string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.reqs {
		if r.Action == action {
			n++
		}
	}
	return n
}

// testExecutor implements the test actions: test/echo returns its input, test/fail fails
// (retryable unless input.fatal), test/flaky fails the first input.fails attempts,
// test/slow sleeps input.ms.
func testExecutor(c *calls) actions.Executor {
	var flaky sync.Map
	return actions.ExecutorFunc(func(ctx context.Context, r actions.Request) (map[string]any, error) {
		c.add(r)
		switch r.Action {
		case "test/echo":
			return r.Input, nil
		case "test/fail":
			fatal, _ := r.Input["fatal"].(bool)
			return nil, actions.Errorf(actions.CodeUnavailable, !fatal, "device said no")
		case "test/flaky":
			n, _ := flaky.LoadOrStore(r.IdempotencyKey, new(atomic.Int64))
			if n.(*atomic.Int64).Add(1) <= int64(toInt(r.Input["fails"])) {
				return nil, actions.Errorf(actions.CodeUnavailable, true, "try again")
			}
			return map[string]any{"ok": true}, nil
		case "test/slow":
			select {
			case <-time.After(time.Duration(toInt(r.Input["ms"])) * time.Millisecond):
				return map[string]any{"slept": true}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return nil, actions.Errorf(actions.CodeUnknownAction, false, "no action %s", r.Action)
	})
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return 0
}

var testIndicator = &playbooks.Indicator{ID: "ind-1", Type: "ipv4", Value: "203.0.113.7", TLP: "green", Confidence: 90, ThreatRating: 4}

func newTestEnv(t *testing.T, c *calls, src MapSource) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := s.NewTestWorkflowEnvironment()
	Register(env, &Activities{Executor: testExecutor(c), Playbooks: src})
	env.SetTestTimeout(30 * time.Second)
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: DeadlockDetectionTimeout})
	return env
}

func input(src string) RunInput {
	return RunInput{Org: "acme", Playbook: "p", Version: 1, File: "p.yaml", Source: []byte(src), Priority: 50,
		Trigger: Trigger{Indicator: testIndicator, Event: &playbooks.Event{ID: "ev-1", Kind: "indicator.created"}}}
}

func result(t *testing.T, env *testsuite.TestWorkflowEnvironment) *Run {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error: %v", err)
	}
	var r Run
	if err := env.GetWorkflowResult(&r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// statuses renders the run's step statuses as "id=status ..." in record order.
func statuses(r *Run) string {
	var b strings.Builder
	for i, s := range r.Steps {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s", s.ID, s.Status)
	}
	return b.String()
}

const header = "name: p\non:\n  indicator:\n    types: [ipv4]\nsteps:\n"

func TestInterpreter(t *testing.T) {
	tests := []struct {
		name     string
		steps    string
		status   string
		steps2   string         // expected statuses
		counts   map[string]int // expected executor calls per action
		check    func(t *testing.T, r *Run)
		errMatch string
	}{
		{name: "uses renders with", status: RunSucceeded, steps2: "a=succeeded",
			steps: `  - id: a
    uses: test/echo
    with: {value: "${{ indicator.value }}", n: 3}
`, counts: map[string]int{"test/echo": 1},
			check: func(t *testing.T, r *Run) {
				in := r.Steps[0].Input.(map[string]any)
				if in["value"] != "203.0.113.7" || r.Steps[0].Attempts != 1 {
					t.Errorf("input %v attempts %d", in, r.Steps[0].Attempts)
				}
				if r.Steps[0].Output.(map[string]any)["value"] != "203.0.113.7" {
					t.Errorf("output %v", r.Steps[0].Output)
				}
			}},
		{name: "if false skips and later steps see it", status: RunSucceeded, steps2: "a=skipped b=succeeded",
			steps: `  - id: a
    if: indicator.type == "domain"
    uses: test/echo
  - id: b
    if: steps.a.status == "skipped"
    uses: test/echo
`, counts: map[string]int{"test/echo": 1}},
		{name: "outputs flow to later steps", status: RunSucceeded, steps2: "a=succeeded b=succeeded",
			steps: `  - id: a
    uses: test/echo
    with: {x: "one"}
  - id: b
    uses: test/echo
    with: {y: "${{ steps.a.output.x }}-two"}
`, check: func(t *testing.T, r *Run) {
				if got := r.Step("b").Output.(map[string]any)["y"]; got != "one-two" {
					t.Errorf("b output y = %v", got)
				}
			}},
		{name: "retry until success", status: RunSucceeded, steps2: "a=succeeded",
			steps: `  - id: a
    uses: test/flaky
    with: {fails: 2}
    retry: {attempts: 3, backoff: 1s}
`, counts: map[string]int{"test/flaky": 3},
			check: func(t *testing.T, r *Run) {
				if r.Steps[0].Attempts != 3 {
					t.Errorf("attempts %d, want 3", r.Steps[0].Attempts)
				}
			}},
		{name: "retries exhausted fail the run", status: RunFailed, steps2: "a=failed b=pending",
			steps: `  - id: a
    uses: test/fail
    retry: {attempts: 2, backoff: 1s}
  - id: b
    uses: test/echo
`, counts: map[string]int{"test/fail": 2, "test/echo": 0},
			check: func(t *testing.T, r *Run) {
				if !strings.Contains(r.Steps[0].Error, "device said no") || r.Steps[0].Attempts != 2 {
					t.Errorf("error %q attempts %d", r.Steps[0].Error, r.Steps[0].Attempts)
				}
			}},
		{name: "non-retryable error stops retries", status: RunFailed, steps2: "a=failed",
			steps: `  - id: a
    uses: test/fail
    with: {fatal: true}
    retry: {attempts: 5, backoff: 1s}
`, counts: map[string]int{"test/fail": 1}},
		{name: "timeout", status: RunFailed, steps2: "a=failed",
			steps: `  - id: a
    uses: test/slow
    with: {ms: 3000}
    timeout: 1s
    retry: {attempts: 1}
`, check: func(t *testing.T, r *Run) {
				if !strings.Contains(r.Steps[0].Error, "timed out") {
					t.Errorf("error %q", r.Steps[0].Error)
				}
			}},
		{name: "on_error continue", status: RunSucceeded, steps2: "a=failed b=succeeded",
			steps: `  - id: a
    uses: test/fail
    with: {fatal: true}
    on_error: continue
  - id: b
    if: steps.a.status == "failed"
    uses: test/echo
`},
		{name: "on_error handler steps", status: RunSucceeded, steps2: "a=failed b=succeeded h=succeeded",
			steps: `  - id: a
    uses: test/fail
    with: {fatal: true}
    on_error:
      - id: h
        uses: test/echo
        with: {why: "${{ steps.a.error }}"}
  - id: b
    uses: test/echo
`, check: func(t *testing.T, r *Run) {
				h := r.Step("h")
				if h.Parent != "a" || !strings.Contains(fmt.Sprint(h.Input), "device said no") {
					t.Errorf("handler record %+v", h)
				}
			}},
		{name: "wait uses the durable timer", status: RunSucceeded, steps2: "w=succeeded",
			steps: `  - id: w
    wait: 72h
`, check: func(t *testing.T, r *Run) {
				if d := r.Steps[0].EndedAt.Sub(*r.Steps[0].StartedAt); d != 72*time.Hour {
					t.Errorf("waited %v", d)
				}
			}},
		{name: "set binds vars", status: RunSucceeded, steps2: "s=succeeded s2=succeeded a=succeeded",
			steps: `  - id: s
    set:
      target: "${{ indicator.value }}"
  - id: s2
    set:
      label: "blocked ${{ vars.target }}"
  - id: a
    uses: test/echo
    with: {l: "${{ vars.label }}"}
`, check: func(t *testing.T, r *Run) {
				if got := r.Step("a").Output.(map[string]any)["l"]; got != "blocked 203.0.113.7" {
					t.Errorf("l = %v", got)
				}
			}},
		{name: "for_each with max_parallel", status: RunSucceeded, steps2: "e=succeeded",
			steps: `  - id: e
    uses: test/echo
    for_each: ${{ ["a", "b", "c", "d"] }}
    max_parallel: 2
    with: {v: "${{ item }}", i: "${{ index }}"}
`, counts: map[string]int{"test/echo": 4},
			check: func(t *testing.T, r *Run) {
				out := r.Steps[0].Output.([]any)
				if len(out) != 4 || out[3].(map[string]any)["v"] != "d" {
					t.Errorf("outputs %v", out)
				}
			}},
		{name: "for_each item failure fails the step", status: RunFailed, steps2: "e=failed",
			steps: `  - id: e
    uses: test/fail
    for_each: ${{ [true, true] }}
    with: {fatal: "${{ item }}"}
`, check: func(t *testing.T, r *Run) {
				if !strings.Contains(r.Steps[0].Error, "item 0") {
					t.Errorf("error %q", r.Steps[0].Error)
				}
			}},
		{name: "parallel branches", status: RunSucceeded, steps2: "p=succeeded x=succeeded y=succeeded",
			steps: `  - id: p
    parallel:
      - id: x
        uses: test/echo
        with: {b: x}
      - id: y
        uses: test/echo
        with: {b: y}
`, counts: map[string]int{"test/echo": 2}},
		{name: "parallel failure cancels siblings", status: RunFailed, steps2: "p=failed x=failed y=cancelled",
			steps: `  - id: p
    parallel:
      - id: x
        uses: test/fail
        with: {fatal: true}
      - id: y
        uses: test/slow
        with: {ms: 5000}
`},
		{name: "parallel timeout cancels the branches", status: RunFailed, steps2: "p=failed x=cancelled y=succeeded",
			steps: `  - id: p
    timeout: 1h
    parallel:
      - id: x
        wait: 2h
      - id: y
        uses: test/echo
`, check: func(t *testing.T, r *Run) {
				if !strings.Contains(r.Step("p").Error, "timed out after 1h0m0s") {
					t.Errorf("error %q", r.Step("p").Error)
				}
			}},
		{name: "bad template fails the step", status: RunFailed, steps2: "a=failed",
			steps: `  - id: a
    uses: test/echo
    with: {x: "${{ 1 / indicator.sightings }}"}
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &calls{}
			env := newTestEnv(t, c, nil)
			env.ExecuteWorkflow(WorkflowName, input(header+tt.steps))
			r := result(t, env)
			if r.Status != tt.status {
				t.Errorf("run status %s (%s), want %s", r.Status, r.Error, tt.status)
			}
			if got := statuses(r); tt.steps2 != "" && got != tt.steps2 {
				t.Errorf("steps %s, want %s", got, tt.steps2)
			}
			for a, n := range tt.counts {
				if got := c.count(a); got != n {
					t.Errorf("%s called %d times, want %d", a, got, n)
				}
			}
			if tt.check != nil && !t.Failed() {
				tt.check(t, r)
			}
		})
	}
}

func TestIdempotencyKeyAndQueue(t *testing.T) {
	c := &calls{}
	env := newTestEnv(t, c, nil)
	var queues []string
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		queues = append(queues, info.TaskQueue)
	})
	env.ExecuteWorkflow(WorkflowName, input(header+"  - id: a\n    uses: test/echo\n"))
	result(t, env)
	if len(c.reqs) != 1 || c.reqs[0].IdempotencyKey != "default-test-workflow-id/a/0" || c.reqs[0].Org != "acme" {
		t.Fatalf("requests %+v", c.reqs)
	}
	if len(queues) != 1 || queues[0] != "rampart-org-acme" {
		t.Errorf("activity queues %v", queues)
	}
}

func TestCallChildRun(t *testing.T) {
	child := `name: child
on:
  manual:
    inputs:
      target: {type: string, required: true}
steps:
  - id: c1
    uses: test/echo
    with: {t: "${{ inputs.target }}"}
`
	c := &calls{}
	env := newTestEnv(t, c, MapSource{"child": {Version: 3, File: "child.yaml", Source: []byte(child)}})
	env.ExecuteWorkflow(WorkflowName, input(header+`  - id: k
    call:
      playbook: child
      inputs: {target: "${{ indicator.value }}"}
  - id: after
    uses: test/echo
    with: {got: "${{ steps.k.output.steps.c1.t }}"}
`))
	r := result(t, env)
	if r.Status != RunSucceeded {
		t.Fatalf("status %s: %s", r.Status, r.Error)
	}
	if got := r.Step("after").Output.(map[string]any)["got"]; got != "203.0.113.7" {
		t.Errorf("after got %v (%s)", got, statuses(r))
	}
	if r.Step("k").Child != "default-test-workflow-id/call-k" {
		t.Errorf("child id %q", r.Step("k").Child)
	}
}

func TestCallMissingPlaybookFails(t *testing.T) {
	env := newTestEnv(t, &calls{}, MapSource{})
	env.ExecuteWorkflow(WorkflowName, input(header+"  - id: k\n    call: {playbook: nope}\n"))
	r := result(t, env)
	if r.Status != RunFailed || !strings.Contains(r.Step("k").Error, "no such playbook") {
		t.Errorf("status %s, error %q", r.Status, r.Step("k").Error)
	}
}

const approvalSteps = `  - id: ok
    approval:
      message: "Block ${{ indicator.value }}?"
      approvers: [role:analyst, user:boss]
      timeout: 4h
      on_timeout: %s
  - id: after
    uses: test/echo
`

// decideWhenWaiting sends d once the run waits on d.StepID.
func decideWhenWaiting(env *testsuite.TestWorkflowEnvironment, d Decision, delay time.Duration, rejected *error) {
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateDecide, "u-"+d.By, &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { *rejected = err },
			OnAccept:   func() {},
			OnComplete: func(any, error) {},
		}, d)
	}, delay)
}

func TestApproval(t *testing.T) {
	tests := []struct {
		name      string
		onTimeout string
		decision  *Decision
		status    string
		steps     string
		rejected  string
		decided   string
	}{
		{name: "approved by role", onTimeout: "fail", status: RunSucceeded, steps: "ok=succeeded after=succeeded", decided: "approved",
			decision: &Decision{StepID: "ok", Approve: true, By: "alice", Roles: []string{"analyst"}, Org: "acme", Comment: "go"}},
		{name: "approved by named user", onTimeout: "fail", status: RunSucceeded, steps: "ok=succeeded after=succeeded", decided: "approved",
			decision: &Decision{StepID: "ok", Approve: true, By: "boss", Org: "acme"}},
		{name: "rejected", onTimeout: "approve", status: RunFailed, steps: "ok=failed after=pending", decided: "rejected",
			decision: &Decision{StepID: "ok", Approve: false, By: "alice", Roles: []string{"analyst"}, Org: "acme", Comment: "benign"}},
		{name: "timeout skip", onTimeout: "skip", status: RunSucceeded, steps: "ok=skipped after=succeeded", decided: "timed_out"},
		{name: "timeout fail", onTimeout: "fail", status: RunFailed, steps: "ok=failed after=pending", decided: "timed_out"},
		{name: "timeout approve", onTimeout: "approve", status: RunSucceeded, steps: "ok=succeeded after=succeeded", decided: "timed_out"},
		{name: "not an approver is refused, then times out", onTimeout: "skip", status: RunSucceeded, steps: "ok=skipped after=succeeded",
			decided: "timed_out", rejected: "mallory may not decide",
			decision: &Decision{StepID: "ok", Approve: true, By: "mallory", Roles: []string{"viewer"}, Org: "acme"}},
		{name: "other organisation is refused", onTimeout: "skip", status: RunSucceeded, steps: "ok=skipped after=succeeded",
			decided: "timed_out", rejected: "may not decide",
			decision: &Decision{StepID: "ok", Approve: true, By: "eve", Roles: []string{"analyst"}, Org: "other"}},
		{name: "unknown step is refused", onTimeout: "skip", status: RunSucceeded, steps: "ok=skipped after=succeeded",
			decided: "timed_out", rejected: "not waiting for approval",
			decision: &Decision{StepID: "after", Approve: true, By: "alice", Roles: []string{"analyst"}, Org: "acme"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, &calls{}, nil)
			var rejected error
			if tt.decision != nil {
				decideWhenWaiting(env, *tt.decision, time.Hour, &rejected)
			}
			env.ExecuteWorkflow(WorkflowName, input(header+fmt.Sprintf(approvalSteps, tt.onTimeout)))
			r := result(t, env)
			if r.Status != tt.status || statuses(r) != tt.steps {
				t.Errorf("run %s [%s], want %s [%s] (%s)", r.Status, statuses(r), tt.status, tt.steps, r.Error)
			}
			ar := r.Step("ok").Approval
			if ar == nil || ar.Decision != tt.decided || ar.Message != "Block 203.0.113.7?" {
				t.Fatalf("approval record %+v", ar)
			}
			if tt.rejected == "" && rejected != nil {
				t.Errorf("decision refused: %v", rejected)
			}
			if tt.rejected != "" && (rejected == nil || !strings.Contains(rejected.Error(), tt.rejected)) {
				t.Errorf("refusal %v, want %q", rejected, tt.rejected)
			}
			if tt.rejected == "" && tt.decision != nil {
				if ar.By != tt.decision.By || ar.Comment != tt.decision.Comment || ar.At == nil || ar.At.Sub(r.StartedAt) != time.Hour {
					t.Errorf("who/when/comment not recorded: %+v", ar)
				}
			}
		})
	}
}

func TestLiveQueryWhileWaiting(t *testing.T) {
	env := newTestEnv(t, &calls{}, nil)
	var live Run
	var qerr error
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryRun)
		if err == nil {
			err = v.Get(&live)
		}
		qerr = err
	}, time.Minute)
	env.ExecuteWorkflow(WorkflowName, input(header+fmt.Sprintf(approvalSteps, "skip")))
	result(t, env)
	if qerr != nil {
		t.Fatal(qerr)
	}
	if live.Status != RunWaiting || statuses(&live) != "ok=waiting_for_approval after=pending" {
		t.Errorf("live record %s [%s]", live.Status, statuses(&live))
	}
}

func TestCancel(t *testing.T) {
	env := newTestEnv(t, &calls{}, nil)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
	env.ExecuteWorkflow(WorkflowName, input(header+"  - id: w\n    wait: 24h\n  - id: a\n    uses: test/echo\n"))
	r := result(t, env)
	if r.Status != RunCancelled || statuses(r) != "w=cancelled a=pending" {
		t.Errorf("run %s [%s]", r.Status, statuses(r))
	}
}

func TestResumeReusesEarlierOutputs(t *testing.T) {
	src := header + `  - id: a
    uses: test/echo
    with: {x: "first"}
  - id: s
    set: {v: "${{ steps.a.output.x }}"}
  - id: b
    uses: test/echo
    with: {x: "${{ vars.v }}"}
`
	c := &calls{}
	env := newTestEnv(t, c, nil)
	in := input(src)
	in.Resume = &Resume{Of: "old", FromStep: "b", Prior: []StepRecord{
		{ID: "a", Kind: "uses", Status: "succeeded", Output: map[string]any{"x": "earlier"}},
		{ID: "s", Kind: "set", Status: "succeeded", Output: map[string]any{"v": "earlier"}},
		{ID: "b", Kind: "uses", Status: "failed", Error: "boom"},
	}}
	env.ExecuteWorkflow(WorkflowName, in)
	r := result(t, env)
	if r.Status != RunSucceeded || r.RetryOf != "old" {
		t.Fatalf("run %s retry_of %q: %s", r.Status, r.RetryOf, r.Error)
	}
	if c.count("test/echo") != 1 || c.reqs[0].Input["x"] != "earlier" {
		t.Errorf("calls %+v", c.reqs)
	}
	if !r.Step("a").Reused || r.Step("b").Reused {
		t.Errorf("reused flags a=%v b=%v", r.Step("a").Reused, r.Step("b").Reused)
	}
}

func TestPlaybookThatDoesNotCompileFailsTheRun(t *testing.T) {
	env := newTestEnv(t, &calls{}, nil)
	env.ExecuteWorkflow(WorkflowName, input("name: p\nsteps: 3\n"))
	r := result(t, env)
	if r.Status != RunFailed || !strings.Contains(r.Error, "does not compile") {
		t.Errorf("run %s: %s", r.Status, r.Error)
	}
}
