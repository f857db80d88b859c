package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/schema"
	"github.com/rampartsec/rampart/playbooks"
)

// This file runs playbook test files (`rampart playbook test`, DESIGN.md §3) on Temporal's
// test environment: the real interpreter, a test clock that skips waits and timeouts, and
// an executor that answers each uses step with its mock.

// CaseResult is the outcome of one test case.
type CaseResult struct {
	File     string   `json:"file"`
	Case     string   `json:"case"`
	Passed   bool     `json:"passed"`
	Failures []string `json:"failures,omitempty"`
	Run      *Run     `json:"run,omitempty"`
}

// testRunID is the workflow ID of every run in the test environment.
const testRunID = "default-test-workflow-id"

// TestOption configures RunTestSuite.
type TestOption func(*testConfig)

type testConfig struct {
	outputSchema func(action string) ([]byte, bool)
}

// WithOutputSchemas checks the output of every mock of a uses step against the output schema
// of the step's action, as lookup gives it, before the case runs: a mock the action could
// never return fails its case (naming the case, the step and the offending field) instead of
// letting the playbook pass on a shape the real action does not have. Actions lookup does not
// know (ok false) are not checked, nor mocks that fail the step (error) or give no output.
func WithOutputSchemas(lookup func(action string) (outputSchema []byte, ok bool)) TestOption {
	return func(c *testConfig) { c.outputSchema = lookup }
}

// RunTestSuite runs every case of suite against the playbook pb (compiled from src), with
// called playbooks found by calls.
func RunTestSuite(suite *playbooks.TestSuite, pb *playbooks.Playbook, src []byte, calls PlaybookSource, opts ...TestOption) []CaseResult {
	var cfg testConfig
	for _, o := range opts {
		o(&cfg)
	}
	check := newMockChecker(cfg.outputSchema)
	out := make([]CaseResult, 0, len(suite.Cases))
	for _, tc := range suite.Cases {
		out = append(out, runCase(suite.File, tc, pb, src, calls, check))
	}
	return out
}

// mockChecker checks mocked outputs against the output schemas of the mocked actions,
// compiling each schema once.
type mockChecker struct {
	lookup   func(action string) ([]byte, bool)
	compiled map[string]*schema.Schema
	errs     map[string]error
}

func newMockChecker(lookup func(string) ([]byte, bool)) *mockChecker {
	return &mockChecker{lookup: lookup, compiled: map[string]*schema.Schema{}, errs: map[string]error{}}
}

// check returns a message for each mock of tc whose output breaks its action's output schema,
// in step order.
func (m *mockChecker) check(tc playbooks.TestCase, pb *playbooks.Playbook) []string {
	if m.lookup == nil || len(tc.Mocks) == 0 {
		return nil
	}
	var msgs []string
	walkSteps(pb.Steps, func(s *playbooks.Step) {
		mock, ok := tc.Mocks[s.ID]
		if !ok || s.Kind != playbooks.StepUses || mock.Error != "" || mock.Output == nil {
			return
		}
		sch, err := m.schema(s.Uses)
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("case %q, step %s: cannot check the mock: %v", tc.Name, s.ID, err))
			return
		}
		if sch == nil {
			return
		}
		if err := sch.Validate("mocks."+s.ID+".output", mock.Output); err != nil {
			msgs = append(msgs, fmt.Sprintf("case %q, step %s: the mocked output is not one %s can return (its output schema): %v",
				tc.Name, s.ID, s.Uses, err))
		}
	})
	return msgs
}

// schema returns the compiled output schema of action, nil when lookup does not know it.
func (m *mockChecker) schema(action string) (*schema.Schema, error) {
	if s, ok := m.compiled[action]; ok {
		return s, nil
	}
	if err, ok := m.errs[action]; ok {
		return nil, err
	}
	raw, ok := m.lookup(action)
	if !ok {
		m.compiled[action] = nil
		return nil, nil
	}
	s, err := schema.Compile(action+" output", raw)
	if err != nil {
		m.errs[action] = err
		return nil, err
	}
	m.compiled[action] = s
	return s, nil
}

func runCase(file string, tc playbooks.TestCase, pb *playbooks.Playbook, src []byte, calls PlaybookSource, mocks *mockChecker) CaseResult {
	res := CaseResult{File: file, Case: tc.Name}
	fail := func(format string, args ...any) { res.Failures = append(res.Failures, fmt.Sprintf(format, args...)) }
	// A mock the action could never return would test the playbook against a fiction: the
	// case fails without running.
	res.Failures = append(res.Failures, mocks.check(tc, pb)...)
	trig := Trigger{Indicator: tc.Trigger.Indicator, Indicators: tc.Trigger.Indicators, Inputs: tc.Trigger.Inputs, Event: tc.Trigger.Event}
	if trig.Event == nil {
		trig.Event = &playbooks.Event{ID: "test", Kind: "test", Org: "test"}
	}
	env := &playbooks.Env{Indicator: trig.Indicator, Indicators: trig.Indicators, Event: trig.Event, Inputs: trig.Inputs}
	triggered := true
	if pb.When != nil {
		var err error
		if triggered, err = pb.When.Eval(env); err != nil {
			fail("when: %v", err)
		}
	}
	if tc.Expect.Triggered != nil && *tc.Expect.Triggered != triggered {
		fail("triggered: got %v, want %v", triggered, *tc.Expect.Triggered)
	}
	prio := int64(playbooks.DefaultPriority)
	if pb.Priority != nil {
		var err error
		if prio, err = pb.Priority.Eval(env); err != nil {
			fail("priority: %v", err)
		}
	}
	if tc.Expect.Priority != nil && *tc.Expect.Priority != prio {
		fail("priority: got %d, want %d", prio, *tc.Expect.Priority)
	}
	if !triggered || len(res.Failures) > 0 {
		res.Passed = len(res.Failures) == 0
		return res
	}

	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	tenv := s.NewTestWorkflowEnvironment()
	tenv.SetTestTimeout(30 * time.Second)
	tenv.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: DeadlockDetectionTimeout})
	Register(tenv, &Activities{Executor: mockExecutor(tc.Mocks), Playbooks: mockCalls(pb, tc.Mocks, calls)})
	decideApprovals(tenv, tc.Mocks)
	tenv.ExecuteWorkflow(WorkflowName, RunInput{Org: "test", Playbook: pb.Name, Version: 1, File: pb.File, Source: src,
		Trigger: trig, Priority: int(prio)})
	if err := tenv.GetWorkflowError(); err != nil {
		fail("run: %v", err)
		return res
	}
	if !tenv.IsWorkflowCompleted() {
		fail("run did not end (an approval without a mocked decision or timeout?)")
		return res
	}
	var run Run
	if err := tenv.GetWorkflowResult(&run); err != nil {
		fail("run result: %v", err)
		return res
	}
	res.Run = &run
	if want := tc.Expect.Status; want != "" && run.Status != want {
		fail("status: got %s, want %s (%s)", run.Status, want, run.Error)
	}
	ids := make([]string, 0, len(tc.Expect.Steps))
	for id := range tc.Expect.Steps {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		want := tc.Expect.Steps[id]
		rec := run.Step(id)
		status := playbooks.StatusPending
		if rec != nil {
			status = rec.Status
		}
		if want.Status != "" && status != want.Status {
			msg := ""
			if rec != nil && rec.Error != "" {
				msg = " (" + rec.Error + ")"
			}
			fail("step %s: status %s, want %s%s", id, status, want.Status, msg)
		}
		if want.Input != nil {
			var got any
			if rec != nil {
				got = rec.Input
			}
			if d := subset(normalize(want.Input), normalize(got), "with"); d != "" {
				fail("step %s: input %s", id, d)
			}
		}
	}
	res.Passed = len(res.Failures) == 0
	return res
}

// mockExecutor answers a uses step with its mock: the output, or the error (retryable as the
// mock says). A step without a mock succeeds with an empty output.
func mockExecutor(mocks map[string]playbooks.Mock) actions.Executor {
	return actions.ExecutorFunc(func(_ context.Context, r actions.Request) (map[string]any, error) {
		rest := strings.TrimPrefix(r.IdempotencyKey, testRunID+"/")
		step := rest[:max(strings.LastIndex(rest, "/"), 0)]
		m, ok := mocks[step]
		if !ok {
			return map[string]any{}, nil
		}
		if m.Error != "" {
			return nil, &actions.Error{Code: "mock", Message: m.Error, Retryable: m.Retryable}
		}
		if m.Output == nil {
			return map[string]any{}, nil
		}
		return m.Output, nil
	})
}

// mockCalls answers the call steps that have a mock with it (by the playbook they call).
func mockCalls(pb *playbooks.Playbook, mocks map[string]playbooks.Mock, next PlaybookSource) PlaybookSource {
	byName := map[string]*CallMock{}
	walkSteps(pb.Steps, func(s *playbooks.Step) {
		if m, ok := mocks[s.ID]; ok && s.Kind == playbooks.StepCall {
			byName[s.Call.Playbook] = &CallMock{Output: m.Output, Error: m.Error}
		}
	})
	return callMocks{byName: byName, next: next}
}

type callMocks struct {
	byName map[string]*CallMock
	next   PlaybookSource
}

func (c callMocks) Latest(ctx context.Context, org, name string) (CalledPlaybook, error) {
	if m, ok := c.byName[name]; ok {
		return CalledPlaybook{Version: 1, Mock: m}, nil
	}
	if c.next == nil {
		return CalledPlaybook{}, fmt.Errorf("%s: %w", name, ErrNoPlaybook)
	}
	return c.next.Latest(ctx, org, name)
}

// decideApprovals sends each mocked approve/reject decision once its step waits. The test
// clock only moves when the run is blocked, so checking once a simulated minute costs no
// real time; a mocked "timeout" is left to the step's own timeout.
func decideApprovals(env *testsuite.TestWorkflowEnvironment, mocks map[string]playbooks.Mock) {
	sent := map[string]bool{}
	pending := 0
	for _, m := range mocks {
		if m.Decision == "approve" || m.Decision == "reject" {
			pending++
		}
	}
	if pending == 0 {
		return
	}
	var check func()
	elapsed := time.Duration(0)
	check = func() {
		v, err := env.QueryWorkflow(QueryRun)
		if err != nil {
			return
		}
		var run Run
		if v.Get(&run) != nil {
			return
		}
		for _, st := range run.Steps {
			m, ok := mocks[st.ID]
			if !ok || sent[st.ID] || st.Status != playbooks.StatusWaiting || (m.Decision != "approve" && m.Decision != "reject") {
				continue
			}
			sent[st.ID] = true
			pending--
			by := m.By
			if by == "" {
				by = "tester"
			}
			var roles []string
			if m.Role != "" {
				roles = []string{m.Role}
			}
			env.UpdateWorkflow(UpdateDecide, "test-"+st.ID, &testsuite.TestUpdateCallback{
				OnReject: func(error) {}, OnAccept: func() {}, OnComplete: func(any, error) {}},
				Decision{StepID: st.ID, Approve: m.Decision == "approve", By: by, Roles: roles, Org: "test", Comment: m.Comment})
		}
		if pending > 0 && !run.Done() && elapsed < 90*24*time.Hour {
			elapsed += time.Minute
			env.RegisterDelayedCallback(check, time.Minute)
		}
	}
	env.RegisterDelayedCallback(check, time.Millisecond)
}

// normalize makes YAML and JSON values comparable (numbers as float64, maps as map[string]any).
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

// subset describes how got fails to contain want ("" when it does).
func subset(want, got any, path string) string {
	if wm, ok := want.(map[string]any); ok {
		gm, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %s, want a map", path, show(got))
		}
		keys := make([]string, 0, len(wm))
		for k := range wm {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if d := subset(wm[k], gm[k], path+"."+k); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(want, got) {
		return fmt.Sprintf("%s: got %s, want %s", path, show(got), show(want))
	}
	return ""
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// DirSource finds called playbooks as <name>.yaml in a directory (for playbook tests).
type DirSource string

// Latest reads dir/<name>.yaml.
func (d DirSource) Latest(_ context.Context, _, name string) (CalledPlaybook, error) {
	file := filepath.Join(string(d), name+".yaml")
	src, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return CalledPlaybook{}, fmt.Errorf("%s: %w", file, ErrNoPlaybook)
	}
	if err != nil {
		return CalledPlaybook{}, fmt.Errorf("read %s: %w", file, err)
	}
	return CalledPlaybook{Version: 1, File: file, Source: src}, nil
}
