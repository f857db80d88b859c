package engine

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/rampartsec/rampart/actions"
)

// WorkerOptions say what a Worker polls.
type WorkerOptions struct {
	// Workflows: poll the workflow queue (the interpreter and playbook resolution). `serve`
	// does; a member's `rampart worker --org X` does not.
	Workflows bool
	// Orgs whose action queues to poll.
	Orgs      []string
	Executor  actions.Executor
	Playbooks PlaybookSource
	// MaxConcurrentActions bounds the actions in flight per organisation (0: the SDK's default).
	MaxConcurrentActions int
}

// Worker is a set of Temporal workers: one for the workflow queue and one per organisation.
type Worker struct {
	workers []worker.Worker
}

// Register registers the interpreter workflow and the engine's activities on w.
func Register(w worker.Registry, acts *Activities) {
	w.RegisterWorkflowWithOptions(PlaybookWorkflow, workflow.RegisterOptions{Name: WorkflowName})
	w.RegisterActivityWithOptions(acts.Action, activity.RegisterOptions{Name: ActionActivityName})
	w.RegisterActivityWithOptions(acts.Resolve, activity.RegisterOptions{Name: ResolveActivityName})
}

// DeadlockDetectionTimeout is how long a workflow task may run without yielding before the
// SDK calls it a deadlock. The SDK's 1 s default was exceeded on a loaded 2-core machine by the
// cold compile of a playbook's CEL and expr programs at the start of a run (seen in
// `rampart playbook test` under a parallel `go test -race`); 5 s still catches a real hang.
const DeadlockDetectionTimeout = 5 * time.Second

// Pollers per queue. The SDK's default, 2, splits the workflow pollers between the sticky
// queue and the workflow queue, and each poll that gets a task waits for the server to record
// it started: at a few dozen new runs a second the first workflow tasks queue for seconds
// (docs/performance.md).
const (
	workflowPollers = 8
	actionPollers   = 4
)

// NewWorker builds the workers opts asks for; Start runs them.
func NewWorker(c client.Client, opts WorkerOptions) (*Worker, error) {
	if opts.Executor == nil && len(opts.Orgs) > 0 {
		return nil, errors.New("engine: a worker for organisations needs an actions executor")
	}
	acts := &Activities{Executor: opts.Executor, Playbooks: opts.Playbooks}
	w := &Worker{}
	if opts.Workflows {
		ww := worker.New(c, WorkflowQueue, worker.Options{DeadlockDetectionTimeout: DeadlockDetectionTimeout,
			MaxConcurrentWorkflowTaskPollers: workflowPollers})
		ww.RegisterWorkflowWithOptions(PlaybookWorkflow, workflow.RegisterOptions{Name: WorkflowName})
		ww.RegisterActivityWithOptions(acts.Resolve, activity.RegisterOptions{Name: ResolveActivityName})
		w.workers = append(w.workers, ww)
	}
	for _, org := range opts.Orgs {
		ow := worker.New(c, OrgQueue(org), worker.Options{MaxConcurrentActivityExecutionSize: opts.MaxConcurrentActions,
			MaxConcurrentActivityTaskPollers: actionPollers})
		ow.RegisterActivityWithOptions(acts.Action, activity.RegisterOptions{Name: ActionActivityName})
		w.workers = append(w.workers, ow)
	}
	if len(w.workers) == 0 {
		return nil, errors.New("engine: the worker polls nothing: enable workflows or name an organisation")
	}
	return w, nil
}

// Start starts polling.
func (w *Worker) Start() error {
	for i, ww := range w.workers {
		if err := ww.Start(); err != nil {
			for _, s := range w.workers[:i] {
				s.Stop()
			}
			return fmt.Errorf("engine: start worker: %w", err)
		}
	}
	return nil
}

// Stop stops polling and waits for the tasks in hand.
func (w *Worker) Stop() {
	for _, ww := range w.workers {
		ww.Stop()
	}
}
