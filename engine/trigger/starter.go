package trigger

import (
	"context"

	"github.com/rampartsec/rampart/engine"
)

// Starter starts playbook runs. *engine.Client implements it: Start computes the
// deterministic workflow id engine.WorkflowID(org, playbook, version, event id), starts
// with the reject-duplicate policy and the Temporal priority of req.Priority, and reports
// started=false, with no error, when that run already exists (a redelivered event).
type Starter interface {
	Start(ctx context.Context, req engine.StartRequest) (runID string, started bool, err error)
}

// StarterFunc adapts a function to Starter.
type StarterFunc func(ctx context.Context, req engine.StartRequest) (string, bool, error)

// Start calls f.
func (f StarterFunc) Start(ctx context.Context, req engine.StartRequest) (string, bool, error) {
	return f(ctx, req)
}

// workflowID is the id the engine gives the run req starts.
func workflowID(req engine.StartRequest) string {
	return engine.WorkflowID(req.Org, req.PlaybookName, req.Version, req.Trigger.Event.ID)
}

var _ Starter = (*engine.Client)(nil)

// RunGetter reads a run's record; *engine.Client implements it. When the router has one
// (Options.Runs, or a Starter that also implements it), it releases the concurrency keys
// of runs that have ended.
type RunGetter interface {
	Get(ctx context.Context, runID string) (*engine.Run, error)
}

var _ RunGetter = (*engine.Client)(nil)

// RunEnder is an optional, cheaper check a RunGetter may offer: whether the run has ended,
// without reading its record (for *engine.Client's Get, a running workflow is queried, a
// round trip through the worker). The router's sweep of held concurrency keys uses it
// when Options.Runs has it.
type RunEnder interface {
	Ended(ctx context.Context, runID string) (bool, error)
}
