package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/intel"
)

// Runs is what the API needs of the engine; *engine.Client implements it.
type Runs interface {
	List(ctx context.Context, f engine.Filter, cursor []byte) ([]engine.Summary, []byte, error)
	Get(ctx context.Context, runID string) (*engine.Run, error)
	Approve(ctx context.Context, runID, stepID, by string, roles []string, org, comment string) (*engine.ApprovalRecord, error)
	Reject(ctx context.Context, runID, stepID, by string, roles []string, org, comment string) (*engine.ApprovalRecord, error)
	Cancel(ctx context.Context, runID string) error
	Retry(ctx context.Context, runID, fromStep string) (string, error)
}

// DecisionRequest approves or rejects a run's waiting approval step.
type DecisionRequest struct {
	Step    string `json:"step" doc:"the id of the approval step"`
	Comment string `json:"comment,omitempty"`
}

// RetryRequest retries a finished run from a step.
type RetryRequest struct {
	FromStep string `json:"from_step,omitempty" doc:"the top-level step to run again; empty: the first that failed"`
}

// RetryStarted names the new run of a retry.
type RetryStarted struct {
	ID string `json:"id"`
}

// RunPath is the path of a run: run IDs hold slashes (org/playbook@version/event), which are
// escaped into the one path segment.
func RunPath(id string) string { return "/api/v1/runs/" + url.PathEscape(id) }

func (s *Server) runRoutes() []route {
	idDoc := "Run IDs contain slashes (`<org>/<playbook>@<version>/<event-id>`): escape them as %2F in the path."
	return []route{
		{Method: "GET", Pattern: "/api/v1/runs", Perm: intel.PermPlaybookRead, Tag: "runs",
			Summary: "List your organisation's runs, newest first",
			Query: []param{
				{Name: "playbook", Type: "string", Description: "playbook name"},
				{Name: "status", Type: "string", Description: "run status", Enum: []string{engine.RunRunning, engine.RunWaiting, engine.RunSucceeded, engine.RunFailed, engine.RunCancelled}},
				{Name: "value", Type: "string", Description: "the trigger's indicator value"},
				{Name: "cursor", Type: "string", Description: "next_cursor of the previous page"},
				{Name: "limit", Type: "integer", Description: "page size, 1..1000 (default 100)"},
			},
			Response: Page[engine.Summary]{}, handle: s.listRuns},
		{Method: "GET", Pattern: "/api/v1/runs/{id}", Perm: intel.PermPlaybookRead, Tag: "runs",
			Summary: "Get a run's record: its steps, inputs, outputs, errors, retries and approvals", Doc: idDoc,
			Response: engine.Run{}, problemsFor: []int{http.StatusNotFound}, handle: s.getRun},
		{Method: "POST", Pattern: "/api/v1/runs/{id}/approve", Perm: intel.PermRunApprove, Tag: "runs",
			Summary: "Approve a waiting approval step", Doc: idDoc + " The playbook's approvers decide who may.",
			Body: DecisionRequest{}, Response: engine.ApprovalRecord{}, problemsFor: []int{http.StatusNotFound, http.StatusConflict},
			handle: s.decide(true)},
		{Method: "POST", Pattern: "/api/v1/runs/{id}/reject", Perm: intel.PermRunApprove, Tag: "runs",
			Summary: "Reject a waiting approval step", Doc: idDoc,
			Body: DecisionRequest{}, Response: engine.ApprovalRecord{}, problemsFor: []int{http.StatusNotFound, http.StatusConflict},
			handle: s.decide(false)},
		{Method: "POST", Pattern: "/api/v1/runs/{id}/cancel", Perm: intel.PermRunApprove, Tag: "runs",
			Summary: "Cancel a run: steps in flight are cancelled", Doc: idDoc,
			Response: Accepted{}, Status: http.StatusAccepted, problemsFor: []int{http.StatusNotFound}, handle: s.cancelRun},
		{Method: "POST", Pattern: "/api/v1/runs/{id}/retry", Perm: intel.PermRunApprove, Tag: "runs",
			Summary: "Retry a finished run from a step, reusing the outputs of the steps before it", Doc: idDoc,
			Body: RetryRequest{}, Response: RetryStarted{}, Status: http.StatusCreated,
			problemsFor: []int{http.StatusNotFound, http.StatusConflict}, handle: s.retryRun},
	}
}

// ownRun returns the run ID of the request if it belongs to p's organisation; other
// organisations' runs do not exist for p.
func (s *Server) ownRun(r *http.Request, p *Principal) (string, error) {
	if s.runs == nil {
		return "", kindUnavailable.new("the engine is not connected")
	}
	id := r.PathValue("id")
	org, _, _, ok := engine.ParseWorkflowID(id)
	if !ok || org != p.Org {
		return "", kindNotFound.new("your organisation has no run %q", id)
	}
	return id, nil
}

// engineError maps the engine's errors onto problems.
func engineError(id string, err error) error {
	var (
		nf  *serviceerror.NotFound
		app *temporal.ApplicationError
	)
	switch {
	case errors.As(err, &nf):
		return kindNotFound.new("no run %q", id)
	case errors.As(err, &app):
		return kindConflict.new("%s", app.Message())
	}
	return fmt.Errorf("run %s: %w: %w", id, ErrUnavailable, err)
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if s.runs == nil {
		return kindUnavailable.new("the engine is not connected")
	}
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	var token []byte
	if after != "" {
		if token, err = base64.RawURLEncoding.DecodeString(after); err != nil {
			return kindBadRequest.new("the cursor is not one this server returned")
		}
	}
	q := r.URL.Query()
	f := engine.Filter{Org: p.Org, Playbook: q.Get("playbook"), Status: q.Get("status"), TriggerValue: q.Get("value"), PageSize: limit}
	items, next, err := s.runs.List(r.Context(), f, token)
	if err != nil {
		return fmt.Errorf("list runs: %w: %w", ErrUnavailable, err)
	}
	return writeJSON(w, http.StatusOK, Page[engine.Summary]{Items: nonNil(items), NextCursor: encodeCursor(base64.RawURLEncoding.EncodeToString(next))})
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := s.ownRun(r, p)
	if err != nil {
		return err
	}
	run, err := s.runs.Get(r.Context(), id)
	if err != nil {
		return engineError(id, err)
	}
	return writeJSON(w, http.StatusOK, run)
}

func (s *Server) decide(approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Principal) error {
		if s.runs == nil {
			return kindUnavailable.new("the engine is not connected")
		}
		var req DecisionRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		if req.Step == "" {
			return kindInvalid.new("step is required").withErrors(FieldError{Pointer: "/step", Detail: "the id of the approval step"})
		}
		// Approvers may belong to another organisation (org:O): the workflow's validator, not
		// the run's owner, decides who may.
		id := r.PathValue("id")
		if _, _, _, ok := engine.ParseWorkflowID(id); !ok {
			return kindNotFound.new("no run %q", id)
		}
		by := p.User
		if u, err := s.st.GetUser(r.Context(), p.User); err == nil {
			by = u.Name
		}
		roles := make([]string, len(p.Roles))
		for i, role := range p.Roles {
			roles[i] = string(role)
		}
		decide := s.runs.Reject
		if approve {
			decide = s.runs.Approve
		}
		rec, err := decide(r.Context(), id, req.Step, by, roles, p.Org, req.Comment)
		if err != nil {
			return decisionError(id, err)
		}
		return writeJSON(w, http.StatusOK, rec)
	}
}

// decisionError: a refused update (the validator's reason) is a conflict the user can read.
func decisionError(id string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return kindNotFound.new("no run %q", id)
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return kindConflict.new("%s", app.Message())
	}
	return kindConflict.new("%s", errors.Unwrap(err))
}

func (s *Server) cancelRun(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := s.ownRun(r, p)
	if err != nil {
		return err
	}
	if err := s.runs.Cancel(r.Context(), id); err != nil {
		return engineError(id, err)
	}
	return writeJSON(w, http.StatusAccepted, Accepted{ID: id, Status: "cancelling"})
}

func (s *Server) retryRun(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := s.ownRun(r, p)
	if err != nil {
		return err
	}
	var req RetryRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	newID, err := s.runs.Retry(r.Context(), id, req.FromStep)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return kindNotFound.new("no run %q", id)
		}
		// The engine's refusals (still running, no such step, nothing failed) are the user's to fix.
		return kindConflict.new("%v", err)
	}
	return writeJSON(w, http.StatusCreated, RetryStarted{ID: newID})
}
