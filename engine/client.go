package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/rampartsec/rampart/playbooks"
)

// Client is the engine's API for the server, the trigger router and the CLI.
type Client struct {
	c client.Client
	// Options are the checks a playbook passes before a run of it starts (actions, connections).
	Options playbooks.Options
}

// NewClient wraps a Temporal client (see engine/temporalconn).
func NewClient(c client.Client) *Client { return &Client{c: c} }

// Temporal is the underlying Temporal client.
func (c *Client) Temporal() client.Client { return c.c }

// StartRequest starts one run.
type StartRequest struct {
	Org          string
	PlaybookName string
	Version      int64
	File         string // for diagnostics; default "<PlaybookName>.yaml"
	Source       []byte
	Trigger      Trigger
	// Priority of the run, 0..100; -1 evaluates the playbook's `priority` against the trigger.
	Priority int
	// Depth of the trigger chain (loop guard); copied into the trigger event.
	Depth int
}

// LintError is returned by Start for a playbook that does not compile: it is never started.
type LintError struct{ Diagnostics playbooks.Diagnostics }

func (e *LintError) Error() string { return "playbook does not compile:\n" + e.Diagnostics.Error() }

// Start starts a run with the deterministic ID of its trigger event. A trigger delivered twice
// starts one run: the second call returns the same ID with started false and no error.
func (c *Client) Start(ctx context.Context, req StartRequest) (runID string, started bool, err error) {
	if req.File == "" {
		req.File = req.PlaybookName + ".yaml"
	}
	pb, ds := playbooks.CompileCached(req.File, req.Source, c.Options)
	if ds.HasErrors() || pb == nil {
		return "", false, &LintError{Diagnostics: ds}
	}
	if req.PlaybookName == "" {
		req.PlaybookName = pb.Name
	}
	if req.Org == "" {
		return "", false, errors.New("engine: start: no organisation")
	}
	ev := req.Trigger.Event
	if ev == nil || ev.ID == "" {
		return "", false, errors.New("engine: start: the trigger has no event id")
	}
	if req.Depth > MaxDepth {
		return "", false, fmt.Errorf("engine: start: trigger depth %d exceeds %d", req.Depth, MaxDepth)
	}
	evCopy := *ev
	evCopy.Depth = req.Depth
	req.Trigger.Event = &evCopy
	if req.Priority < 0 {
		req.Priority = playbooks.DefaultPriority
		if pb.Priority != nil {
			p, err := pb.Priority.Eval(&playbooks.Env{Indicator: req.Trigger.Indicator, Indicators: req.Trigger.Indicators,
				Event: req.Trigger.Event, Inputs: req.Trigger.Inputs})
			if err != nil {
				return "", false, fmt.Errorf("engine: start: priority: %w", err)
			}
			req.Priority = int(min(max(p, 0), 100))
		}
	}
	id := WorkflowID(req.Org, req.PlaybookName, req.Version, ev.ID)
	in := RunInput{Org: req.Org, Playbook: req.PlaybookName, Version: req.Version, File: req.File,
		Source: req.Source, Trigger: req.Trigger, Priority: req.Priority}
	return c.start(ctx, id, in)
}

func (c *Client) start(ctx context.Context, id string, in RunInput) (string, bool, error) {
	opts := client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                WorkflowQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		Priority:                                 temporal.Priority{PriorityKey: TaskPriority(in.Priority)},
		TypedSearchAttributes: temporal.NewSearchAttributes(SAPlaybook.ValueSet(in.Playbook), SAOrg.ValueSet(in.Org),
			SATriggerValue.ValueSet(in.Trigger.value()), SAStatus.ValueSet(RunRunning)),
	}
	_, err := c.c.ExecuteWorkflow(ctx, opts, WorkflowName, in)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &already) {
		return id, false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("engine: start %s: %w", id, err)
	}
	return id, true, nil
}

// Get returns the run record: live from the workflow's query while it runs, its result once
// it has ended.
func (c *Client) Get(ctx context.Context, runID string) (*Run, error) {
	desc, err := c.c.DescribeWorkflowExecution(ctx, runID, "")
	if err != nil {
		return nil, fmt.Errorf("engine: run %s: %w", runID, err)
	}
	st := desc.GetWorkflowExecutionInfo().GetStatus()
	if st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		v, err := c.c.QueryWorkflow(ctx, runID, "", QueryRun)
		if err != nil {
			return nil, fmt.Errorf("engine: query run %s: %w", runID, err)
		}
		var r Run
		if err := v.Get(&r); err != nil {
			return nil, fmt.Errorf("engine: decode run %s: %w", runID, err)
		}
		return &r, nil
	}
	var r Run
	if err := c.c.GetWorkflow(ctx, runID, "").Get(ctx, &r); err != nil {
		return nil, fmt.Errorf("engine: run %s ended %s: %w", runID, strings.ToLower(strings.TrimPrefix(st.String(), "WORKFLOW_EXECUTION_STATUS_")), err)
	}
	return &r, nil
}

// Wait blocks until the run ends and returns its record.
func (c *Client) Wait(ctx context.Context, runID string) (*Run, error) {
	var r Run
	if err := c.c.GetWorkflow(ctx, runID, "").Get(ctx, &r); err != nil {
		return nil, fmt.Errorf("engine: wait for run %s: %w", runID, err)
	}
	return &r, nil
}

// Filter selects runs to list; empty fields match everything.
type Filter struct {
	Org          string
	Playbook     string
	Status       string // a Run* status
	TriggerValue string
	PageSize     int // default 50
}

// Summary is one line of a run list.
type Summary struct {
	ID        string `json:"id"`
	Org       string `json:"org"`
	Playbook  string `json:"playbook"`
	Status    string `json:"status"`
	Trigger   string `json:"trigger,omitempty"`
	StartedAt string `json:"started_at"`
	EndedAt   string `json:"ended_at,omitempty"`
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// Query is the visibility query of f.
func (f Filter) Query() string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+" = "+quote(v))
		}
	}
	add("WorkflowType", WorkflowName)
	add("RampartOrg", f.Org)
	add("RampartPlaybook", f.Playbook)
	add("RampartStatus", f.Status)
	add("RampartTriggerValue", f.TriggerValue)
	return strings.Join(parts, " AND ")
}

// List returns a page of runs, newest first, and the cursor of the next page ("" at the end).
func (c *Client) List(ctx context.Context, f Filter, cursor []byte) ([]Summary, []byte, error) {
	size := f.PageSize
	if size <= 0 {
		size = 50
	}
	resp, err := c.c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		PageSize: int32(size), NextPageToken: cursor, Query: f.Query()})
	if err != nil {
		return nil, nil, fmt.Errorf("engine: list runs: %w", err)
	}
	out := make([]Summary, 0, len(resp.Executions))
	for _, e := range resp.Executions {
		fields := e.GetSearchAttributes().GetIndexedFields()
		kw := func(k temporal.SearchAttributeKeyKeyword) string {
			var v string
			if p, ok := fields[k.GetName()]; ok {
				_ = converterDefault.FromPayload(p, &v)
			}
			return v
		}
		s := Summary{ID: e.GetExecution().GetWorkflowId(), StartedAt: e.GetStartTime().AsTime().UTC().Format("2006-01-02T15:04:05Z")}
		s.Org, s.Playbook, s.Status, s.Trigger = kw(SAOrg), kw(SAPlaybook), kw(SAStatus), kw(SATriggerValue)
		if e.GetCloseTime() != nil {
			s.EndedAt = e.GetCloseTime().AsTime().UTC().Format("2006-01-02T15:04:05Z")
		}
		if e.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && e.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
			s.Status = strings.ToLower(strings.TrimPrefix(e.GetStatus().String(), "WORKFLOW_EXECUTION_STATUS_"))
		}
		out = append(out, s)
	}
	return out, resp.NextPageToken, nil
}

// Decide approves or rejects a waiting approval step. The workflow's validator refuses a
// person who is not an approver, or a step that is not waiting; a refused decision is
// recorded nowhere.
func (c *Client) Decide(ctx context.Context, runID string, d Decision) (*ApprovalRecord, error) {
	h, err := c.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: runID, UpdateName: UpdateDecide,
		Args: []any{d}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return nil, fmt.Errorf("engine: decide step %s of %s: %w", d.StepID, runID, err)
	}
	var ar ApprovalRecord
	if err := h.Get(ctx, &ar); err != nil {
		return nil, fmt.Errorf("engine: decide step %s of %s: %w", d.StepID, runID, err)
	}
	return &ar, nil
}

// Approve approves a waiting step as user by (with roles, of org).
func (c *Client) Approve(ctx context.Context, runID, stepID, by string, roles []string, org, comment string) (*ApprovalRecord, error) {
	return c.Decide(ctx, runID, Decision{StepID: stepID, Approve: true, By: by, Roles: roles, Org: org, Comment: comment})
}

// Reject rejects a waiting step.
func (c *Client) Reject(ctx context.Context, runID, stepID, by string, roles []string, org, comment string) (*ApprovalRecord, error) {
	return c.Decide(ctx, runID, Decision{StepID: stepID, Approve: false, By: by, Roles: roles, Org: org, Comment: comment})
}

// Cancel asks a run to stop; steps in flight are cancelled and the run ends "cancelled".
func (c *Client) Cancel(ctx context.Context, runID string) error {
	if err := c.c.CancelWorkflow(ctx, runID, ""); err != nil {
		return fmt.Errorf("engine: cancel %s: %w", runID, err)
	}
	return nil
}

// Retry starts a new run of the same playbook version and trigger that reuses the records of
// the steps before fromStep ("" : the first failed top-level step) and runs the rest. The
// new run's ID is the old one's with /retry-N appended.
func (c *Client) Retry(ctx context.Context, runID, fromStep string) (string, error) {
	old, err := c.Get(ctx, runID)
	if err != nil {
		return "", err
	}
	if !old.Done() {
		return "", fmt.Errorf("engine: retry %s: the run is still %s", runID, old.Status)
	}
	if fromStep == "" {
		for _, s := range old.Steps {
			if s.Parent == "" && (s.Status == playbooks.StatusFailed || s.Status == playbooks.StatusCancelled || s.Status == playbooks.StatusPending) {
				fromStep = s.ID
				break
			}
		}
		if fromStep == "" {
			return "", fmt.Errorf("engine: retry %s: no step failed; name the step to retry from", runID)
		}
	}
	if old.Step(fromStep) == nil {
		return "", fmt.Errorf("engine: retry %s: no step %q", runID, fromStep)
	}
	in, err := c.input(ctx, runID)
	if err != nil {
		return "", err
	}
	base := runID
	if old.RetryOf != "" {
		base = rootOf(runID)
	}
	prior := make([]StepRecord, 0, len(old.Steps))
	for _, s := range old.Steps {
		prior = append(prior, *s)
	}
	in.Resume = &Resume{Of: runID, FromStep: fromStep, Prior: prior}
	for n := 1; n < 1000; n++ {
		id, started, err := c.start(ctx, retryID(base, n), in)
		if err != nil {
			return "", err
		}
		if started {
			return id, nil
		}
	}
	return "", fmt.Errorf("engine: retry %s: too many retries", runID)
}

func rootOf(id string) string {
	if i := strings.LastIndex(id, "/retry-"); i > 0 {
		return id[:i]
	}
	return id
}

// input reads the input a run was started with, from the first event of its history.
func (c *Client) input(ctx context.Context, runID string) (RunInput, error) {
	it := c.c.GetWorkflowHistory(ctx, runID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return RunInput{}, fmt.Errorf("engine: run %s has no history", runID)
	}
	ev, err := it.Next()
	if err != nil {
		return RunInput{}, fmt.Errorf("engine: read history of %s: %w", runID, err)
	}
	attrs := ev.GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil || len(attrs.GetInput().GetPayloads()) == 0 {
		return RunInput{}, fmt.Errorf("engine: run %s: first event is not its start", runID)
	}
	var in RunInput
	if err := converterDefault.FromPayload(attrs.GetInput().GetPayloads()[0], &in); err != nil {
		return RunInput{}, fmt.Errorf("engine: decode input of %s: %w", runID, err)
	}
	in.Resume = nil
	return in, nil
}

var converterDefault = converter.GetDefaultDataConverter()
