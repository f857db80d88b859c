package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/rampartsec/rampart/actions"
)

// Activity names, registered by NewWorker.
const (
	ActionActivityName  = "rampart.action"
	ResolveActivityName = "rampart.resolve_playbook"
)

// heartbeatEvery is how often an action in flight heartbeats; HeartbeatTimeout is several
// times it, so a worker killed mid-action has the action retried within seconds.
const (
	heartbeatEvery   = 5 * time.Second
	heartbeatTimeout = 20 * time.Second
)

// ActionInput is what the action activity takes: never a secret (the connection is named and
// resolved by the executor inside the activity).
type ActionInput struct {
	Org            string         `json:"org"`
	Action         string         `json:"action"`
	Connection     string         `json:"connection,omitempty"`
	Input          map[string]any `json:"input"`
	IdempotencyKey string         `json:"idempotency_key"`
}

// ActionOutput is the action's output and the attempt that produced it.
type ActionOutput struct {
	Output  map[string]any `json:"output"`
	Attempt int            `json:"attempt"`
}

// PlaybookSource finds the current version of an organisation's playbook, for `call` steps.
type PlaybookSource interface {
	Latest(ctx context.Context, org, name string) (CalledPlaybook, error)
}

// CalledPlaybook is a playbook version a call step starts.
type CalledPlaybook struct {
	Version int64  `json:"version"`
	File    string `json:"file"`
	Source  []byte `json:"source"`
	// Mock, set only by `rampart playbook test`, stands in for the child run.
	Mock *CallMock `json:"mock,omitempty"`
}

// CallMock is a test's mock of a call step: the output it yields, or the error it fails with.
type CallMock struct {
	Output map[string]any `json:"output,omitempty"`
	Error  string         `json:"error,omitempty"`
}

// ErrNoPlaybook is what a PlaybookSource returns for a playbook that does not exist.
var ErrNoPlaybook = errors.New("no such playbook")

// Activities are the engine's activities.
type Activities struct {
	Executor  actions.Executor
	Playbooks PlaybookSource // nil: call steps fail
}

// Action performs one action: it calls the executor, heartbeating while it waits, and maps a
// failure onto an ApplicationError whose type is the action error's code. A non-retryable
// action error stops the retries.
func (a *Activities) Action(ctx context.Context, in ActionInput) (ActionOutput, error) {
	info := activity.GetInfo(ctx)
	attempt := int(info.Attempt)
	req := actions.Request{Org: in.Org, Action: in.Action, Connection: in.Connection, Input: in.Input,
		IdempotencyKey: in.IdempotencyKey, Deadline: info.Deadline}
	if req.Input == nil {
		req.Input = map[string]any{}
	}
	type result struct {
		out map[string]any
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := a.Executor.Execute(ctx, req)
		done <- result{out, err}
	}()
	tick := time.NewTicker(heartbeatEvery)
	defer tick.Stop()
	for {
		select {
		case r := <-done:
			if r.err != nil {
				ae := actions.AsError(r.err)
				return ActionOutput{}, temporal.NewApplicationErrorWithOptions(
					fmt.Sprintf("%s: %s", in.Action, ae.Error()), ae.Code,
					temporal.ApplicationErrorOptions{NonRetryable: !ae.Retryable, Details: []any{attempt}})
			}
			return ActionOutput{Output: r.out, Attempt: attempt}, nil
		case <-tick.C:
			activity.RecordHeartbeat(ctx)
		}
	}
}

// Resolve finds the playbook a call step starts.
func (a *Activities) Resolve(ctx context.Context, org, name string) (CalledPlaybook, error) {
	if a.Playbooks == nil {
		return CalledPlaybook{}, temporal.NewNonRetryableApplicationError(
			"resolve playbook "+name+": this worker has no playbook store", "no_playbook_store", nil)
	}
	p, err := a.Playbooks.Latest(ctx, org, name)
	if errors.Is(err, ErrNoPlaybook) {
		return CalledPlaybook{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("resolve playbook %s: %v", name, err), "no_playbook", nil)
	}
	if err != nil {
		return CalledPlaybook{}, fmt.Errorf("resolve playbook %s: %w", name, err)
	}
	return p, nil
}

// MapSource is a PlaybookSource over a fixed map (name → playbook), for tests and
// `rampart playbook test`.
type MapSource map[string]CalledPlaybook

// Latest returns m[name].
func (m MapSource) Latest(_ context.Context, _, name string) (CalledPlaybook, error) {
	p, ok := m[name]
	if !ok {
		return CalledPlaybook{}, fmt.Errorf("%s: %w", name, ErrNoPlaybook)
	}
	return p, nil
}
