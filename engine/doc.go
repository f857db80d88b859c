// Package engine runs playbooks durably (DESIGN.md §4). One Temporal workflow per run
// (PlaybookWorkflow) compiles the pinned playbook source it was started with and interprets
// it step by step; conditions and templates are evaluated inside the workflow, and every
// action is one activity (ActionActivity) on the owning organisation's task queue, which calls
// the actions.Executor the worker was built with. The run record (Run) is kept by the
// workflow, served by a query while the run is live and returned as its result when it ends.
//
// Client is what the API server, the trigger router and the CLI call: start a run with a
// deterministic workflow ID (a duplicate trigger starts nothing), list and read runs, approve
// or reject an approval step (a Temporal update whose validator checks who may decide),
// cancel, and retry from a step reusing the outputs of the steps before it. NewWorker builds
// the workers that poll the workflow queue and the organisations' action queues.
//
// The embedded server lives in engine/devserver and dialing in engine/temporalconn; this
// package imports neither. docs/engine.md is the reference.
package engine
