package engine

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rampartsec/rampart/playbooks"
)

// Names the workflow is reached by.
const (
	WorkflowName = "rampart.playbook" // the interpreter workflow type
	QueryRun     = "run"              // query: the live run record
	UpdateDecide = "decide"           // update: approve or reject a waiting approval step
)

// Defaults of the interpreter.
const (
	DefaultStepTimeout = 5 * time.Minute // a uses step without `timeout`
	MaxDepth           = 5               // call steps nest at most this deep
	interpreterChange  = "rampart-interpreter"
	interpreterVersion = 1
)

// Search attributes the engine sets on runs (registered by engine/devserver).
var (
	SAPlaybook     = temporal.NewSearchAttributeKeyKeyword("RampartPlaybook")
	SAOrg          = temporal.NewSearchAttributeKeyKeyword("RampartOrg")
	SATriggerValue = temporal.NewSearchAttributeKeyKeyword("RampartTriggerValue")
	SAStatus       = temporal.NewSearchAttributeKeyKeyword("RampartStatus")
)

// errRunFailed is how a failed step that stops the run travels up the step tree.
type errRunFailed struct{ step, msg string }

func (e *errRunFailed) Error() string { return fmt.Sprintf("step %s failed: %s", e.step, e.msg) }

// interp is one run's interpreter state. Workflow coroutines are cooperative, so the maps
// need no lock.
type interp struct {
	in      RunInput
	pb      *playbooks.Playbook
	run     *Run
	results map[string]playbooks.StepResult
	vars    map[string]any
	pending map[string]*pendingApproval
	steps   map[string]*playbooks.Step // every step by id, nested ones included
	depth   int
}

type pendingApproval struct {
	step     *playbooks.Step
	rec      *StepRecord
	decided  bool
	decision Decision
}

// PlaybookWorkflow interprets the playbook of in and returns the run record. A run that fails
// or is cancelled still completes the workflow with its record (Status says how it ended), so
// the record is always readable; only an interpreter bug fails the workflow itself.
func PlaybookWorkflow(ctx workflow.Context, in RunInput) (*Run, error) {
	workflow.GetVersion(ctx, interpreterChange, workflow.DefaultVersion, interpreterVersion)
	info := workflow.GetInfo(ctx)
	x := &interp{
		in:      in,
		results: map[string]playbooks.StepResult{},
		vars:    map[string]any{},
		pending: map[string]*pendingApproval{},
		steps:   map[string]*playbooks.Step{},
		run: &Run{ID: info.WorkflowExecution.ID, Org: in.Org, Playbook: in.Playbook, Version: in.Version,
			Priority: in.Priority, Status: RunRunning, Trigger: in.Trigger, StartedAt: workflow.Now(ctx)},
	}
	x.run.Vars = x.vars // the same map: the live record shows vars as they are set
	if in.Trigger.Event != nil {
		x.depth = in.Trigger.Event.Depth
	}
	if in.Resume != nil {
		x.run.RetryOf = in.Resume.Of
	}
	if err := workflow.SetQueryHandler(ctx, QueryRun, func() (*Run, error) { return x.run, nil }); err != nil {
		return nil, fmt.Errorf("register query: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecide, x.decide,
		workflow.UpdateHandlerOptions{Validator: x.validateDecision}); err != nil {
		return nil, fmt.Errorf("register update: %w", err)
	}

	pb, ds := playbooks.CompileCached(in.File, in.Source, playbooks.Options{})
	if ds.HasErrors() || pb == nil {
		return x.finish(ctx, fmt.Errorf("playbook does not compile: %s", ds.Error())), nil
	}
	x.pb = pb
	if err := x.applyInputs(); err != nil {
		return x.finish(ctx, err), nil
	}
	walkSteps(pb.Steps, func(s *playbooks.Step) { x.steps[s.ID] = s })
	for _, s := range pb.Steps {
		x.run.Steps = append(x.run.Steps, &StepRecord{ID: s.ID, Kind: string(s.Kind), Status: playbooks.StatusPending})
	}
	steps := pb.Steps
	if in.Resume != nil {
		var err error
		if steps, err = x.resume(in.Resume); err != nil {
			return x.finish(ctx, err), nil
		}
	}
	return x.finish(ctx, x.sequence(ctx, steps, "")), nil
}

// applyInputs fills the defaults of the trigger's typed inputs and refuses a run that lacks a
// required one.
func (x *interp) applyInputs() error {
	decl := x.pb.Trigger.Inputs
	if len(decl) == 0 {
		return nil
	}
	in := make(map[string]any, len(decl))
	for k, v := range x.in.Trigger.Inputs {
		in[k] = v
	}
	for _, d := range decl {
		if _, ok := in[d.Name]; ok {
			continue
		}
		if d.Required {
			return fmt.Errorf("input %q is required", d.Name)
		}
		in[d.Name] = d.Default
	}
	x.in.Trigger.Inputs = in
	x.run.Trigger.Inputs = in
	return nil
}

// walkSteps calls f on every step, nested ones (parallel branches, on_error handlers) included.
func walkSteps(steps []*playbooks.Step, f func(*playbooks.Step)) {
	for _, s := range steps {
		f(s)
		walkSteps(s.Parallel, f)
		walkSteps(s.OnError.Steps, f)
	}
}

// resume restores the records of the steps before r.FromStep and returns the steps to run.
func (x *interp) resume(r *Resume) ([]*playbooks.Step, error) {
	idx := -1
	for i, s := range x.pb.Steps {
		if s.ID == r.FromStep {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("retry from step %q: the playbook has no such top-level step", r.FromStep)
	}
	prior := map[string]StepRecord{}
	for _, rec := range r.Prior {
		prior[rec.ID] = rec
	}
	for _, top := range x.pb.Steps[:idx] {
		walkSteps([]*playbooks.Step{top}, func(s *playbooks.Step) {
			rec, ok := prior[s.ID]
			if !ok {
				return
			}
			rec.Reused = true
			cp := rec
			if old := x.run.Step(s.ID); old != nil {
				*old = cp
			} else {
				x.run.Steps = append(x.run.Steps, &cp)
			}
			x.results[s.ID] = playbooks.StepResult{Status: rec.Status, Output: rec.Output, Error: rec.Error}
			if s.Kind == playbooks.StepSet && rec.Status == playbooks.StatusSucceeded {
				if m, ok := rec.Output.(map[string]any); ok {
					for _, v := range s.Set {
						x.vars[v.Name] = m[v.Name]
					}
				}
			}
		})
	}
	return x.pb.Steps[idx:], nil
}

// finish sets the run's final status from err and records it in the search attributes.
func (x *interp) finish(ctx workflow.Context, err error) *Run {
	now := workflow.Now(ctx)
	x.run.EndedAt = &now
	switch {
	case err == nil:
		x.run.Status = RunSucceeded
	case temporal.IsCanceledError(err) || errors.Is(err, workflow.ErrCanceled):
		x.run.Status = RunCancelled
		x.run.Error = "cancelled"
	default:
		x.run.Status = RunFailed
		x.run.Error = err.Error()
	}
	for _, s := range x.run.Steps {
		switch s.Status {
		case playbooks.StatusRunning, playbooks.StatusWaiting:
			s.Status = playbooks.StatusCancelled
			s.EndedAt = &now
		}
	}
	x.run.Vars = x.vars
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	x.setStatus(dctx, x.run.Status)
	return x.run
}

func (x *interp) setStatus(ctx workflow.Context, status string) {
	// A failure to index is not a failure of the run.
	_ = workflow.UpsertTypedSearchAttributes(ctx, SAStatus.ValueSet(status))
}

// env is what expressions see now.
func (x *interp) env(ctx workflow.Context) *playbooks.Env {
	t := x.in.Trigger
	return &playbooks.Env{
		Indicator:  t.Indicator,
		Indicators: t.Indicators,
		Event:      t.Event,
		Steps:      x.results,
		Vars:       x.vars,
		Inputs:     t.Inputs,
		Run: playbooks.RunInfo{ID: x.run.ID, Playbook: x.in.Playbook, Version: x.in.Version,
			Org: x.in.Org, StartedAt: x.run.StartedAt},
		Priority: int64(x.in.Priority),
	}
}

// record returns the record of step s, adding one (under parent) when it has none.
func (x *interp) record(s *playbooks.Step, parent string) *StepRecord {
	if r := x.run.Step(s.ID); r != nil {
		return r
	}
	r := &StepRecord{ID: s.ID, Kind: string(s.Kind), Parent: parent, Status: playbooks.StatusPending}
	x.run.Steps = append(x.run.Steps, r)
	return r
}

// sequence runs steps one after another; it stops at the first that fails the run.
func (x *interp) sequence(ctx workflow.Context, steps []*playbooks.Step, parent string) error {
	for _, s := range steps {
		if err := x.step(ctx, s, parent); err != nil {
			return err
		}
	}
	return nil
}

// step runs one step and applies its on_error policy. It returns an error only when the run
// must stop: the step failed with policy fail, or the run was cancelled.
func (x *interp) step(ctx workflow.Context, s *playbooks.Step, parent string) error {
	rec := x.record(s, parent)
	if ctx.Err() != nil {
		rec.Status = playbooks.StatusCancelled
		return ctx.Err()
	}
	now := workflow.Now(ctx)
	if s.If != nil {
		ok, err := s.If.Eval(x.env(ctx))
		if err != nil {
			return x.failed(ctx, s, rec, fmt.Errorf("if: %w", err), parent)
		}
		if !ok {
			rec.Status = playbooks.StatusSkipped
			rec.StartedAt, rec.EndedAt = &now, &now
			x.results[s.ID] = playbooks.StepResult{Status: playbooks.StatusSkipped}
			return nil
		}
	}
	rec.Status = playbooks.StatusRunning
	rec.StartedAt = &now
	rec.EndedAt, rec.Error, rec.Output = nil, "", nil
	x.results[s.ID] = playbooks.StepResult{Status: playbooks.StatusRunning}

	var out any
	var err error
	var status = playbooks.StatusSucceeded
	switch s.Kind {
	case playbooks.StepUses:
		if s.ForEach != nil {
			out, err = x.forEach(ctx, s, rec)
		} else {
			out, err = x.uses(ctx, s, rec)
		}
	case playbooks.StepWait:
		rec.Input = map[string]any{"duration": s.Wait.String()}
		err = workflow.Sleep(ctx, s.Wait)
	case playbooks.StepSet:
		out, err = x.set(ctx, s)
	case playbooks.StepParallel:
		out, err = x.parallel(ctx, s)
	case playbooks.StepCall:
		out, err = x.call(ctx, s, rec)
	case playbooks.StepApproval:
		out, status, err = x.approval(ctx, s, rec)
	default:
		err = fmt.Errorf("unknown step kind %q", s.Kind)
	}
	end := workflow.Now(ctx)
	rec.EndedAt = &end
	if err != nil {
		if ctx.Err() != nil {
			rec.Status = playbooks.StatusCancelled
			rec.Error = "cancelled"
			x.results[s.ID] = playbooks.StepResult{Status: playbooks.StatusCancelled, Error: "cancelled"}
			return ctx.Err()
		}
		return x.failed(ctx, s, rec, err, parent)
	}
	rec.Status = status
	rec.Output = out
	x.results[s.ID] = playbooks.StepResult{Status: status, Output: out}
	return nil
}

// failed records a failed step and applies its on_error policy.
func (x *interp) failed(ctx workflow.Context, s *playbooks.Step, rec *StepRecord, err error, parent string) error {
	now := workflow.Now(ctx)
	msg := errorMessage(err)
	rec.Status = playbooks.StatusFailed
	rec.Error = msg
	rec.EndedAt = &now
	x.results[s.ID] = playbooks.StepResult{Status: playbooks.StatusFailed, Error: msg}
	switch s.OnError.Policy {
	case "continue":
		return nil
	case "steps":
		return x.sequence(ctx, s.OnError.Steps, s.ID)
	default:
		return &errRunFailed{step: s.ID, msg: msg}
	}
}

// errorMessage is the message recorded for a failure: an action's own message rather than
// Temporal's wrapping of it.
func errorMessage(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	var to *temporal.TimeoutError
	if errors.As(err, &to) {
		return "timed out (" + to.TimeoutType().String() + ")"
	}
	var rf *errRunFailed
	if errors.As(err, &rf) {
		return rf.Error()
	}
	return err.Error()
}

// attemptsOf reads the attempt number an action failure carries.
func attemptsOf(err error) int {
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.HasDetails() {
		var n int
		if app.Details(&n) == nil {
			return n
		}
	}
	return 0
}
