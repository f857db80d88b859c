package engine

import (
	"time"

	"github.com/rampartsec/rampart/playbooks"
)

// Trigger is what started a run; the fields that apply to the playbook's trigger are set.
type Trigger struct {
	Indicator  *playbooks.Indicator   `json:"indicator,omitempty"`
	Indicators []*playbooks.Indicator `json:"indicators,omitempty"`
	Inputs     map[string]any         `json:"inputs,omitempty"`
	Event      *playbooks.Event       `json:"event,omitempty"`
}

// value is the trigger value runs are listed by (RampartTriggerValue).
func (t Trigger) value() string {
	switch {
	case t.Indicator != nil:
		return t.Indicator.Value
	case len(t.Indicators) > 0:
		return t.Indicators[0].Value
	}
	return ""
}

// RunInput is the workflow's input: everything a run needs travels in it, so editing a
// playbook never changes a run in flight.
type RunInput struct {
	Org      string  `json:"org"`
	Playbook string  `json:"playbook"`
	Version  int64   `json:"version"`
	File     string  `json:"file"`
	Source   []byte  `json:"source"`
	Trigger  Trigger `json:"trigger"`
	Priority int     `json:"priority"`
	// Resume, when set, makes this run a retry: the top-level steps before FromStep are not
	// executed; their records (outputs included) are taken from Prior.
	Resume *Resume `json:"resume,omitempty"`
}

// Resume carries what a retry reuses.
type Resume struct {
	Of       string         `json:"of"` // the run ID retried
	FromStep string         `json:"from_step"`
	Prior    []StepRecord   `json:"prior"`
	Vars     map[string]any `json:"vars,omitempty"`
}

// Run statuses. A step's statuses are playbooks.Status*.
const (
	RunRunning   = "running"
	RunWaiting   = "waiting_for_approval"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunCancelled = "cancelled"
)

// Run is the run record: what a run did, step by step. The workflow keeps it; a query reads it
// while the run is live, and it is the workflow's result when the run ends.
type Run struct {
	ID        string         `json:"id"`
	Org       string         `json:"org"`
	Playbook  string         `json:"playbook"`
	Version   int64          `json:"version"`
	Priority  int            `json:"priority"`
	Status    string         `json:"status"`
	Error     string         `json:"error,omitempty"`
	Trigger   Trigger        `json:"trigger"`
	RetryOf   string         `json:"retry_of,omitempty"`
	StartedAt time.Time      `json:"started_at"`
	EndedAt   *time.Time     `json:"ended_at,omitempty"`
	Steps     []*StepRecord  `json:"steps"`
	Vars      map[string]any `json:"vars,omitempty"`
}

// StepRecord is one step of a run record. Nested steps (parallel branches, on_error handlers)
// have records of their own, with Parent set.
type StepRecord struct {
	ID        string          `json:"id"`
	Kind      string          `json:"kind"`
	Parent    string          `json:"parent,omitempty"`
	Status    string          `json:"status"`
	Input     any             `json:"input,omitempty"`
	Output    any             `json:"output,omitempty"`
	Error     string          `json:"error,omitempty"`
	Attempts  int             `json:"attempts,omitempty"`
	StartedAt *time.Time      `json:"started_at,omitempty"`
	EndedAt   *time.Time      `json:"ended_at,omitempty"`
	Reused    bool            `json:"reused,omitempty"` // taken from the run retried
	Approval  *ApprovalRecord `json:"approval,omitempty"`
	Child     string          `json:"child,omitempty"` // the run a call step started
}

// ApprovalRecord is an approval step's request and the decision taken on it.
type ApprovalRecord struct {
	Message   string     `json:"message"`
	Approvers []string   `json:"approvers"`
	Deadline  *time.Time `json:"deadline,omitempty"`
	Decision  string     `json:"decision,omitempty"` // approved | rejected | timed_out
	By        string     `json:"by,omitempty"`
	Org       string     `json:"org,omitempty"`
	Comment   string     `json:"comment,omitempty"`
	At        *time.Time `json:"at,omitempty"`
}

// Decision is an approval or a rejection, as the approve/reject update carries it.
type Decision struct {
	StepID  string   `json:"step_id"`
	Approve bool     `json:"approve"`
	By      string   `json:"by"`    // the user deciding
	Roles   []string `json:"roles"` // the user's roles
	Org     string   `json:"org"`   // the user's organisation
	Comment string   `json:"comment"`
}

// Step returns the record of step id, or nil.
func (r *Run) Step(id string) *StepRecord {
	for _, s := range r.Steps {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// Done reports whether the run has ended.
func (r *Run) Done() bool {
	return r.Status == RunSucceeded || r.Status == RunFailed || r.Status == RunCancelled
}
