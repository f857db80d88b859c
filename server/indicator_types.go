package server

import "github.com/rampartsec/rampart/intel"

// MaxBulk is the most indicators one bulk request may carry.
const MaxBulk = 10000

// BulkRequest reports many indicators at once. Each item is stored or refused on its own:
// an invalid item never stops the others.
type BulkRequest struct {
	Indicators []intel.Input `json:"indicators" doc:"at most 10,000"`
}

// Bulk item statuses.
const (
	BulkCreated  = "created"  // a new indicator, or this organisation's first report of it
	BulkUpdated  = "updated"  // this organisation's report of it was updated
	BulkRejected = "rejected" // refused: see errors
)

// BulkItem is the outcome of one item of a bulk request, in request order.
type BulkItem struct {
	Index  int          `json:"index"`
	Status string       `json:"status" doc:"created, updated or rejected"`
	ID     string       `json:"id,omitempty" doc:"the indicator id, when stored"`
	Value  string       `json:"value,omitempty" doc:"the normalised value, when stored"`
	Proof  string       `json:"proof,omitempty" doc:"for an anonymous report: the secret that alone lets you edit or withdraw it; shown once"`
	Errors []FieldError `json:"errors,omitempty"`
}

// BulkResponse summarises a bulk request.
type BulkResponse struct {
	Accepted int        `json:"accepted"`
	Rejected int        `json:"rejected"`
	Results  []BulkItem `json:"results"`
}

// IndicatorCreated answers the report of one indicator.
type IndicatorCreated struct {
	Indicator intel.View `json:"indicator"`
	Status    string     `json:"status" doc:"created or updated"`
	Proof     string     `json:"proof,omitempty" doc:"for an anonymous report: the secret that alone lets you edit or withdraw it; shown once"`
}
