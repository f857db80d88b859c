package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rampartsec/rampart/playbooks"
)

// renderMap renders a template that must yield a map (nil template: empty map).
func renderMap(t *playbooks.Template, env *playbooks.Env, what string) (map[string]any, error) {
	if t == nil {
		return map[string]any{}, nil
	}
	v, err := t.Render(env)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := jsonSafe(v); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case nil:
		return map[string]any{}, nil
	}
	return nil, fmt.Errorf("%s: renders to %T, not a map", what, v)
}

// activityOptions are the options of step s's action: its organisation's queue, its timeout
// and retry policy, the run's priority, and a heartbeat so a lost worker is noticed quickly.
func (x *interp) activityOptions(s *playbooks.Step) workflow.ActivityOptions {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultStepTimeout
	}
	r := s.Retry
	if r.Attempts <= 0 {
		r.Attempts = playbooks.DefaultRetryAttempts
	}
	if r.Backoff <= 0 {
		r.Backoff = playbooks.DefaultRetryBackoff
	}
	if r.MaxBackoff < r.Backoff {
		r.MaxBackoff = max(r.Backoff, playbooks.DefaultRetryMaxBackoff)
	}
	ao := workflow.ActivityOptions{
		TaskQueue:           OrgQueue(x.in.Org),
		StartToCloseTimeout: timeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: r.Backoff, BackoffCoefficient: 2,
			MaximumInterval: r.MaxBackoff, MaximumAttempts: int32(r.Attempts)},
		Priority: temporal.Priority{PriorityKey: TaskPriority(x.in.Priority)},
	}
	if timeout > heartbeatTimeout {
		ao.HeartbeatTimeout = heartbeatTimeout
	}
	return ao
}

// idempotencyKey is run id + step id + item index: the same on every retry of one call.
func (x *interp) idempotencyKey(stepID string, index int) string {
	return x.run.ID + "/" + stepID + "/" + strconv.Itoa(index)
}

// exec runs the action of step s with input.
func (x *interp) exec(ctx workflow.Context, s *playbooks.Step, input map[string]any, index int) (map[string]any, int, error) {
	actx := workflow.WithActivityOptions(ctx, x.activityOptions(s))
	var out ActionOutput
	err := workflow.ExecuteActivity(actx, ActionActivityName, ActionInput{Org: x.in.Org, Action: s.Uses,
		Connection: s.Connection, Input: input, IdempotencyKey: x.idempotencyKey(s.ID, index)}).Get(actx, &out)
	if err != nil {
		return nil, attemptsOf(err), err
	}
	if out.Output == nil {
		out.Output = map[string]any{}
	}
	return out.Output, out.Attempt, nil
}

func (x *interp) uses(ctx workflow.Context, s *playbooks.Step, rec *StepRecord) (any, error) {
	input, err := renderMap(s.With, x.env(ctx), "with")
	if err != nil {
		return nil, err
	}
	rec.Input = input
	out, attempts, err := x.exec(ctx, s, input, 0)
	rec.Attempts = attempts
	return out, err
}

// forEach runs the action once per item, at most MaxParallel at a time. The first failure
// cancels the items still running and fails the step.
func (x *interp) forEach(ctx workflow.Context, s *playbooks.Step, rec *StepRecord) (any, error) {
	v, err := s.ForEach.Render(x.env(ctx))
	if err != nil {
		return nil, fmt.Errorf("for_each: %w", err)
	}
	items, ok := v.([]any)
	if !ok && v != nil {
		return nil, fmt.Errorf("for_each: renders to %T, not a list", v)
	}
	if err := jsonSafe(items); err != nil {
		return nil, fmt.Errorf("for_each: %w", err)
	}
	inputs := make([]any, len(items))
	outputs := make([]any, len(items))
	for i, item := range items {
		env := x.env(ctx)
		env.Item, env.Index = item, int64(i)
		in, err := renderMap(s.With, env, fmt.Sprintf("with (item %d)", i))
		if err != nil {
			return nil, err
		}
		inputs[i] = in
	}
	rec.Input = inputs
	par := max(s.MaxParallel, 1)
	lctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	var firstErr error
	running, next, done := 0, 0, 0
	for done < len(items) {
		for firstErr == nil && running < par && next < len(items) {
			i := next
			next++
			running++
			workflow.Go(lctx, func(gctx workflow.Context) {
				out, attempts, err := x.exec(gctx, s, inputs[i].(map[string]any), i)
				rec.Attempts += max(attempts, 1)
				running--
				done++
				if err != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("item %d: %s", i, errorMessage(err))
						cancel()
					}
					return
				}
				outputs[i] = out
			})
		}
		if firstErr != nil && running == 0 {
			break
		}
		before := done
		if err := workflow.Await(ctx, func() bool { return done > before }); err != nil {
			return nil, err
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return outputs, nil
}

// set renders the named values in order; each sees the ones before it.
func (x *interp) set(ctx workflow.Context, s *playbooks.Step) (any, error) {
	out := map[string]any{}
	for _, v := range s.Set {
		val, err := v.Value.Render(x.env(ctx))
		if err != nil {
			return nil, fmt.Errorf("set %s: %w", v.Name, err)
		}
		if err := jsonSafe(val); err != nil {
			return nil, fmt.Errorf("set %s: %w", v.Name, err)
		}
		x.vars[v.Name] = val
		out[v.Name] = val
	}
	return out, nil
}

// parallel runs the branches together. A branch that fails the run (its own on_error is
// fail) cancels its siblings and fails the step.
func (x *interp) parallel(ctx workflow.Context, s *playbooks.Step) (any, error) {
	pctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	wg := workflow.NewWaitGroup(ctx)
	var first error
	timedOut := false
	if s.Timeout > 0 {
		// The branches get s.Timeout together; when it passes they are cancelled.
		tctx, stopTimer := workflow.WithCancel(ctx)
		defer stopTimer()
		workflow.Go(tctx, func(gctx workflow.Context) {
			if workflow.NewTimer(gctx, s.Timeout).Get(gctx, nil) == nil && pctx.Err() == nil {
				timedOut = true
				cancel()
			}
		})
	}
	for _, b := range s.Parallel {
		x.record(b, s.ID)
	}
	for _, b := range s.Parallel {
		wg.Add(1)
		workflow.Go(pctx, func(gctx workflow.Context) {
			defer wg.Done()
			if err := x.step(gctx, b, s.ID); err != nil && first == nil && pctx.Err() == nil {
				first = err
				cancel()
			}
		})
	}
	wg.Wait(ctx)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if timedOut {
		return nil, fmt.Errorf("timed out after %s", s.Timeout)
	}
	if first != nil {
		return nil, errors.New(errorMessage(first))
	}
	out := map[string]any{}
	for _, b := range s.Parallel {
		out[b.ID] = x.results[b.ID].Output
	}
	return out, nil
}

// call starts the current version of another playbook of the organisation as a child run
// and waits for it.
func (x *interp) call(ctx workflow.Context, s *playbooks.Step, rec *StepRecord) (any, error) {
	if x.depth+1 > MaxDepth {
		return nil, fmt.Errorf("call %s: calls nest deeper than %d", s.Call.Playbook, MaxDepth)
	}
	inputs, err := renderMap(s.Call.Inputs, x.env(ctx), "inputs")
	if err != nil {
		return nil, err
	}
	rec.Input = inputs
	rctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: WorkflowQueue, StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 5}})
	var pb CalledPlaybook
	if err := workflow.ExecuteActivity(rctx, ResolveActivityName, x.in.Org, s.Call.Playbook).Get(rctx, &pb); err != nil {
		return nil, err
	}
	if m := pb.Mock; m != nil {
		if m.Error != "" {
			return nil, errors.New(m.Error)
		}
		return m.Output, nil
	}
	id := childID(x.run.ID, s.ID)
	rec.Child = id
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:               id,
		TaskQueue:                WorkflowQueue,
		WorkflowExecutionTimeout: s.Timeout,
		Priority:                 temporal.Priority{PriorityKey: TaskPriority(x.in.Priority)},
		TypedSearchAttributes: temporal.NewSearchAttributes(SAPlaybook.ValueSet(s.Call.Playbook),
			SAOrg.ValueSet(x.in.Org), SAStatus.ValueSet(RunRunning), SATriggerValue.ValueSet(x.in.Trigger.value())),
	})
	in := RunInput{Org: x.in.Org, Playbook: s.Call.Playbook, Version: pb.Version, File: pb.File, Source: pb.Source,
		Priority: x.in.Priority, Trigger: Trigger{Inputs: inputs, Event: &playbooks.Event{
			ID: x.run.ID + "/" + s.ID, Kind: "call", Org: x.in.Org, Depth: x.depth + 1}}}
	var child Run
	if err := workflow.ExecuteChildWorkflow(cctx, WorkflowName, in).Get(cctx, &child); err != nil {
		return nil, err
	}
	outputs := map[string]any{}
	for _, st := range child.Steps {
		if st.Parent == "" {
			outputs[st.ID] = st.Output
		}
	}
	out := map[string]any{"run_id": child.ID, "status": child.Status, "vars": child.Vars, "steps": outputs}
	if child.Status != RunSucceeded {
		return out, fmt.Errorf("called run %s %s: %s", child.ID, child.Status, child.Error)
	}
	return out, nil
}

// approval waits for a person's decision (the decide update), or for the timeout.
func (x *interp) approval(ctx workflow.Context, s *playbooks.Step, rec *StepRecord) (any, string, error) {
	a := s.Approval
	msg := ""
	if a.Message != nil {
		v, err := a.Message.Render(x.env(ctx))
		if err != nil {
			return nil, "", fmt.Errorf("message: %w", err)
		}
		msg = fmt.Sprint(v)
	}
	ar := &ApprovalRecord{Message: msg, Approvers: a.Approvers}
	if a.Timeout > 0 {
		d := workflow.Now(ctx).Add(a.Timeout)
		ar.Deadline = &d
	}
	rec.Approval = ar
	rec.Status = playbooks.StatusWaiting
	x.results[s.ID] = playbooks.StepResult{Status: playbooks.StatusWaiting}
	p := &pendingApproval{step: s, rec: rec}
	x.pending[s.ID] = p
	defer delete(x.pending, s.ID)
	x.run.Status = RunWaiting
	x.setStatus(ctx, RunWaiting)
	defer func() {
		if ctx.Err() == nil {
			x.run.Status = RunRunning
			x.setStatus(ctx, RunRunning)
		}
	}()

	decided := true
	var err error
	if a.Timeout > 0 {
		decided, err = workflow.AwaitWithTimeout(ctx, a.Timeout, func() bool { return p.decided })
	} else {
		err = workflow.Await(ctx, func() bool { return p.decided })
	}
	if err != nil {
		return nil, "", err
	}
	if !decided {
		ar.Decision = "timed_out"
		now := workflow.Now(ctx)
		ar.At = &now
		out := map[string]any{"decision": "timed_out", "approved": false}
		switch a.OnTimeout {
		case "approve":
			out["approved"] = true
			return out, playbooks.StatusSucceeded, nil
		case "fail":
			return nil, "", errors.New("approval timed out")
		default:
			return out, playbooks.StatusSkipped, nil
		}
	}
	d := p.decision
	out := map[string]any{"decision": ar.Decision, "approved": d.Approve, "by": d.By, "comment": d.Comment}
	if !d.Approve {
		return nil, "", fmt.Errorf("rejected by %s: %s", d.By, d.Comment)
	}
	return out, playbooks.StatusSucceeded, nil
}

// validateDecision rejects a decision before it reaches the history: the step must be
// waiting, and the person must be one of its approvers.
func (x *interp) validateDecision(_ workflow.Context, d Decision) error {
	p, ok := x.pending[d.StepID]
	if !ok {
		return fmt.Errorf("step %q is not waiting for approval", d.StepID)
	}
	if p.decided {
		return fmt.Errorf("step %q is already decided", d.StepID)
	}
	if d.By == "" {
		return errors.New("a decision needs the deciding user")
	}
	if !MayApprove(p.step.Approval.Approvers, x.in.Org, d) {
		return fmt.Errorf("%s may not decide step %q: approvers are %s", d.By, d.StepID,
			strings.Join(p.step.Approval.Approvers, ", "))
	}
	return nil
}

// MayApprove reports whether the person of d is one of approvers of a run of org. With no
// approvers listed, anyone of org may decide; "role:R" needs role R in org, "user:U" is user
// U of org, and "org:O" is anyone of organisation O.
func MayApprove(approvers []string, org string, d Decision) bool {
	if len(approvers) == 0 {
		return d.Org == org
	}
	for _, a := range approvers {
		kind, name, _ := strings.Cut(a, ":")
		switch kind {
		case "role":
			if d.Org == org {
				for _, r := range d.Roles {
					if r == name {
						return true
					}
				}
			}
		case "user":
			if d.Org == org && d.By == name {
				return true
			}
		case "org":
			if d.Org == name {
				return true
			}
		}
	}
	return false
}

// decide applies a validated decision.
func (x *interp) decide(ctx workflow.Context, d Decision) (*ApprovalRecord, error) {
	p, ok := x.pending[d.StepID]
	if !ok || p.decided {
		return nil, fmt.Errorf("step %q is not waiting for approval", d.StepID)
	}
	p.decided = true
	p.decision = d
	now := workflow.Now(ctx)
	ar := p.rec.Approval
	ar.Decision = "rejected"
	if d.Approve {
		ar.Decision = "approved"
	}
	ar.By, ar.Org, ar.Comment, ar.At = d.By, d.Org, d.Comment, &now
	return ar, nil
}

// jsonSafe refuses a rendered value the run record cannot hold (NaN, infinities).
func jsonSafe(v any) error {
	if _, err := json.Marshal(v); err != nil {
		return fmt.Errorf("renders to a value that is not JSON: %w", err)
	}
	return nil
}
