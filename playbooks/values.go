package playbooks

import "time"

// This file holds the values bound in CEL conditions and expr templates (DESIGN.md §3). They
// are plain data that travel in workflow inputs as JSON. Secrets are never among them.

// Indicator is a community indicator as the playbook's owning organisation may see it: an
// anonymous contributor's organisation is empty.
type Indicator struct {
	ID             string    `json:"id" expr:"id"`
	Type           string    `json:"type" expr:"type"`
	Value          string    `json:"value" expr:"value"`
	TLP            string    `json:"tlp" expr:"tlp"`                     // clear | green | amber | amber+strict | red
	Confidence     int64     `json:"confidence" expr:"confidence"`       // 0..100
	ThreatRating   int64     `json:"threat_rating" expr:"threat_rating"` // 0..5
	Tags           []string  `json:"tags" expr:"tags"`
	Description    string    `json:"description" expr:"description"`
	Owner          string    `json:"owner" expr:"owner"`             // organisation; "" when anonymous
	Attribution    string    `json:"attribution" expr:"attribution"` // attributed | pseudonymous | anonymous
	Source         string    `json:"source" expr:"source"`           // member | feed | import
	FirstSeen      time.Time `json:"first_seen" expr:"first_seen"`
	LastSeen       time.Time `json:"last_seen" expr:"last_seen"`
	ExpiresAt      time.Time `json:"expires_at" expr:"expires_at"` // zero: never
	Sightings      int64     `json:"sightings" expr:"sightings"`
	FalsePositives int64     `json:"false_positives" expr:"false_positives"`
	Reporters      int64     `json:"reporters" expr:"reporters"` // distinct member organisations that reported it
	Weight         float64   `json:"weight" expr:"weight"`       // correlation weight: more members, more recent → higher
	Warninglists   []string  `json:"warninglists" expr:"warninglists"`
	CreatedByRun   string    `json:"created_by_run" expr:"created_by_run"`
}

// Event is what triggered a run.
type Event struct {
	ID    string `json:"id" expr:"id"`
	Kind  string `json:"kind" expr:"kind"` // indicator.created, indicator.updated, indicator.sighted, schedule, webhook, manual, group.created, monitor.fired, call
	Org   string `json:"org" expr:"org"`   // organisation whose action caused it; "" when anonymous
	Depth int    `json:"depth" expr:"depth"`
	// Payload carries trigger data other than indicators (webhook body, group, monitor hit).
	Payload map[string]any `json:"payload,omitempty" expr:"payload"`
}

// StepResult is steps.<id> in expressions.
type StepResult struct {
	Status string `json:"status" expr:"status"`
	Output any    `json:"output" expr:"output"`
	Error  string `json:"error" expr:"error"`
}

// RunInfo is `run` in expressions.
type RunInfo struct {
	ID        string    `json:"id" expr:"id"`
	Playbook  string    `json:"playbook" expr:"playbook"`
	Version   int64     `json:"version" expr:"version"`
	Org       string    `json:"org" expr:"org"`
	StartedAt time.Time `json:"started_at" expr:"started_at"`
}

// Env is everything an expression may read. Fields that do not apply are left zero; the
// checker has already refused expressions that name them where they are not bound. The expr
// tags (here and on the values above) are the names templates read.
type Env struct {
	Indicator  *Indicator            `expr:"indicator"`
	Indicators []*Indicator          `expr:"indicators"`
	Event      *Event                `expr:"event"`
	Steps      map[string]StepResult `expr:"steps"`
	Vars       map[string]any        `expr:"vars"`
	Inputs     map[string]any        `expr:"inputs"`
	Run        RunInfo               `expr:"run"`
	Priority   int64                 `expr:"priority"`
	Item       any                   `expr:"item"`
	Index      int64                 `expr:"index"`
}
