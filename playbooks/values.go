package playbooks

import "time"

// This file holds the values bound in CEL conditions and expr templates (DESIGN.md §3). They
// are plain data that travel in workflow inputs as JSON. Secrets are never among them.

// Indicator is a community indicator as the playbook's owning organisation may see it: an
// anonymous contributor's organisation is empty.
type Indicator struct {
	ID             string    `json:"id"`
	Type           string    `json:"type"`
	Value          string    `json:"value"`
	TLP            string    `json:"tlp"`           // clear | green | amber | amber+strict | red
	Confidence     int64     `json:"confidence"`    // 0..100
	ThreatRating   int64     `json:"threat_rating"` // 0..5
	Tags           []string  `json:"tags"`
	Description    string    `json:"description"`
	Owner          string    `json:"owner"`       // organisation; "" when anonymous
	Attribution    string    `json:"attribution"` // attributed | pseudonymous | anonymous
	Source         string    `json:"source"`      // member | feed | import
	FirstSeen      time.Time `json:"first_seen"`
	LastSeen       time.Time `json:"last_seen"`
	ExpiresAt      time.Time `json:"expires_at"` // zero: never
	Sightings      int64     `json:"sightings"`
	FalsePositives int64     `json:"false_positives"`
	Reporters      int64     `json:"reporters"` // distinct member organisations that reported it
	Weight         float64   `json:"weight"`    // correlation weight: more members, more recent → higher
	Warninglists   []string  `json:"warninglists"`
	CreatedByRun   string    `json:"created_by_run"`
}

// Event is what triggered a run.
type Event struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"` // indicator.created, indicator.updated, indicator.sighted, schedule, webhook, manual, group.created, monitor.fired, call
	Org   string `json:"org"`  // organisation whose action caused it; "" when anonymous
	Depth int    `json:"depth"`
	// Payload carries trigger data other than indicators (webhook body, group, monitor hit).
	Payload map[string]any `json:"payload,omitempty"`
}

// StepResult is steps.<id> in expressions.
type StepResult struct {
	Status string `json:"status"`
	Output any    `json:"output"`
	Error  string `json:"error"`
}

// RunInfo is `run` in expressions.
type RunInfo struct {
	ID        string    `json:"id"`
	Playbook  string    `json:"playbook"`
	Version   int64     `json:"version"`
	Org       string    `json:"org"`
	StartedAt time.Time `json:"started_at"`
}

// Env is everything an expression may read. Fields that do not apply are left zero; the
// checker has already refused expressions that name them where they are not bound.
type Env struct {
	Indicator  *Indicator
	Indicators []*Indicator
	Event      *Event
	Steps      map[string]StepResult
	Vars       map[string]any
	Inputs     map[string]any
	Run        RunInfo
	Priority   int64
	Item       any
	Index      int64
}
