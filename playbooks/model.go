package playbooks

import "time"

// This file is the compiled model of a playbook: what the engine interprets. It is a
// contract shared with the engine (which walks Steps and calls Eval/Render) and with the
// trigger router (which reads Trigger, When, Priority and Concurrency). Everything here is
// immutable once Compile returns it.

// Pos is a 1-based line and column in the playbook source.
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

// Playbook is a compiled, checked playbook.
type Playbook struct {
	Name        string
	Description string
	Trigger     Trigger
	When        *Cond        // nil: every trigger matches
	Priority    *IntExpr     // nil: DefaultPriority
	Concurrency *Concurrency // nil: no limit
	Steps       []*Step

	File   string // the file name it was compiled from, for diagnostics
	Source []byte // the exact source compiled
	Hash   string // hex SHA-256 of Source: the same source always has the same hash
}

// DefaultPriority is the priority of a run whose playbook has no `priority`.
const DefaultPriority = 50

// TriggerKind names what starts a playbook.
type TriggerKind string

// The trigger kinds of DESIGN.md §3.
const (
	TriggerIndicator TriggerKind = "indicator"
	TriggerSchedule  TriggerKind = "schedule"
	TriggerWebhook   TriggerKind = "webhook"
	TriggerManual    TriggerKind = "manual"
	TriggerGroup     TriggerKind = "group"
	TriggerMonitor   TriggerKind = "monitor"
)

// Trigger is the `on:` block. Exactly one kind is set.
type Trigger struct {
	Kind TriggerKind

	// indicator and group: the object types and events that start a run.
	Types  []string // indicator types (ipv4, domain, ...) or group kinds (event, adversary, ...)
	Events []string // created | updated | sighted; default [created]
	Batch  *Batch   // indicator only: deliver `indicators` in batches

	// schedule
	Cron     string
	Timezone string

	// manual and webhook: typed inputs, bound as `inputs`.
	Inputs []Input

	// monitor
	Watch string // domain | whois
}

// Batch collects indicators and flushes at MaxSize or after MaxWait.
type Batch struct {
	MaxSize int
	MaxWait time.Duration
}

// Input is a typed input of a manual, webhook or called playbook.
type Input struct {
	Name        string
	Type        string // string | int | number | bool | list | map
	Required    bool
	Default     any
	Description string
}

// Concurrency limits runs that share a key.
type Concurrency struct {
	Key    *Template
	Policy string // skip | queue
}

// StepKind is what a step does.
type StepKind string

// The step kinds of DESIGN.md §3.
const (
	StepUses     StepKind = "uses"
	StepApproval StepKind = "approval"
	StepWait     StepKind = "wait"
	StepParallel StepKind = "parallel"
	StepCall     StepKind = "call"
	StepSet      StepKind = "set"
)

// Step is one compiled step.
type Step struct {
	ID   string
	Pos  Pos
	Kind StepKind
	If   *Cond // nil: always

	// uses
	Uses        string    // plugin/action or core/<action>
	Connection  string    // a named connection of the owning organisation; "" for none
	With        *Template // renders to map[string]any; nil: empty input
	ForEach     *Template // renders to a list; nil: not a loop
	MaxParallel int       // for_each only; 0 means 1

	Approval *Approval     // approval
	Wait     time.Duration // wait
	Parallel []*Step       // parallel
	Call     *Call         // call
	Set      []SetVar      // set, in source order

	Timeout time.Duration // 0: the engine's default
	Retry   Retry         // defaults applied by Compile
	OnError OnError

	check stepCheck // what the Options checks need of the source
}

// Approval is a person's decision.
type Approval struct {
	Message   *Template // renders to a string
	Approvers []string  // "role:<role>", "user:<name>" or "org:<org>"
	Timeout   time.Duration
	OnTimeout string // skip | fail | approve
}

// Call starts another playbook of the same organisation as a child run.
type Call struct {
	Playbook string
	Inputs   *Template // renders to map[string]any; nil: none
}

// SetVar is one named value of a `set` step, bound afterwards as vars.<Name>.
type SetVar struct {
	Name  string
	Value *Template
}

// Retry is a step's retry policy. Compile fills the defaults.
type Retry struct {
	Attempts   int // total attempts, including the first; 1 means no retry
	Backoff    time.Duration
	MaxBackoff time.Duration
}

// Default retry policy of a `uses` step.
const (
	DefaultRetryAttempts   = 3
	DefaultRetryBackoff    = time.Second
	DefaultRetryMaxBackoff = time.Minute
)

// OnError says what happens when a step fails after its retries.
type OnError struct {
	Policy string  // fail (default) | continue | steps
	Steps  []*Step // Policy == "steps": run these, then continue
}

// Step statuses, as bound in steps.<id>.status and shown in run records.
const (
	StatusPending   = "pending"
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusSkipped   = "skipped"
	StatusWaiting   = "waiting_for_approval"
	StatusCancelled = "cancelled"
)
