package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// ProblemBase prefixes every problem type: the type is a URN naming the kind of failure, and
// docs/api.md lists them all.
const ProblemBase = "urn:rampart:problem:"

// Problem is an RFC 9457 problem details document. It is also an error: a handler returns
// one to choose the response.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"` // one per refused field or bulk item
}

// FieldError says what is wrong with one field of the request. Pointer is a JSON pointer
// (RFC 6901) into the body, or "?name" for a query parameter; Index is the item of a bulk
// request it belongs to, when there is one.
type FieldError struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
	Index   *int   `json:"index,omitempty"`
	// Line and Col place a playbook diagnostic in the uploaded source.
	Line int `json:"line,omitempty"`
	Col  int `json:"col,omitempty"`
}

func (p *Problem) Error() string {
	if p.Detail != "" {
		return fmt.Sprintf("%s: %s", p.Title, p.Detail)
	}
	return p.Title
}

// The kinds of problem the API returns, each with its status and title.
var (
	kindBadRequest   = problemKind{"bad-request", http.StatusBadRequest, "The request is malformed"}
	kindInvalid      = problemKind{"validation", http.StatusUnprocessableEntity, "The request has invalid values"}
	kindUnauthorized = problemKind{"unauthorized", http.StatusUnauthorized, "A valid API token is required"}
	kindForbidden    = problemKind{"forbidden", http.StatusForbidden, "Your roles do not allow this"}
	kindNotFound     = problemKind{"not-found", http.StatusNotFound, "No such resource"}
	kindMethod       = problemKind{"method-not-allowed", http.StatusMethodNotAllowed, "Method not allowed on this resource"}
	kindConflict     = problemKind{"conflict", http.StatusConflict, "The request conflicts with the current state"}
	kindTooLarge     = problemKind{"too-large", http.StatusRequestEntityTooLarge, "The request body is too large"}
	kindMediaType    = problemKind{"unsupported-media-type", http.StatusUnsupportedMediaType, "The request body must be JSON"}
	kindPlaybook     = problemKind{"playbook-invalid", http.StatusUnprocessableEntity, "The playbook has errors"}
	kindUnavailable  = problemKind{"unavailable", http.StatusServiceUnavailable, "A service Rampart needs is unavailable"}
	kindInternal     = problemKind{"internal", http.StatusInternalServerError, "Internal error"}
)

// problemKinds lists every kind, for the OpenAPI document and the docs.
var problemKinds = []problemKind{kindBadRequest, kindInvalid, kindUnauthorized, kindForbidden, kindNotFound,
	kindMethod, kindConflict, kindTooLarge, kindMediaType, kindPlaybook, kindUnavailable, kindInternal}

type problemKind struct {
	slug   string
	status int
	title  string
}

// new makes a problem of this kind with a detail.
func (k problemKind) new(format string, args ...any) *Problem {
	return &Problem{Type: ProblemBase + k.slug, Title: k.title, Status: k.status, Detail: fmt.Sprintf(format, args...)}
}

// withErrors adds field errors.
func (p *Problem) withErrors(errs ...FieldError) *Problem {
	p.Errors = append(p.Errors, errs...)
	return p
}

// Errors a handler returns that are not problems are classified by these sentinels, which
// the adapters of the store and engine wrap.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")
	ErrForbidden   = errors.New("forbidden")
	ErrUnavailable = errors.New("unavailable")
)

// writeProblem sends p as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Instance == "" && r != nil {
		p.Instance = r.URL.Path
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="rampart"`)
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
