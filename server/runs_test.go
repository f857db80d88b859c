package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"go.temporal.io/api/serviceerror"

	"github.com/rampartsec/rampart/engine"
)

// recordingRuns stands in for the engine in routing tests (the end-to-end tests drive the
// real one): it knows one run and records the calls it gets.
type recordingRuns struct {
	known string
	calls []string
}

func (r *recordingRuns) List(_ context.Context, f engine.Filter, _ []byte) ([]engine.Summary, []byte, error) {
	r.calls = append(r.calls, "list "+f.Org+" "+f.Playbook)
	return []engine.Summary{{ID: r.known, Org: f.Org}}, nil, nil
}

func (r *recordingRuns) Get(_ context.Context, id string) (*engine.Run, error) {
	r.calls = append(r.calls, "get "+id)
	if id != r.known {
		return nil, serviceerror.NewNotFound("no such workflow")
	}
	return &engine.Run{ID: id, Status: engine.RunWaiting}, nil
}

func (r *recordingRuns) Approve(_ context.Context, id, step, by string, _ []string, org, _ string) (*engine.ApprovalRecord, error) {
	r.calls = append(r.calls, "approve "+id+" "+step+" "+by+" "+org)
	return &engine.ApprovalRecord{Decision: "approved", By: by}, nil
}

func (r *recordingRuns) Reject(_ context.Context, id, step, by string, _ []string, org, _ string) (*engine.ApprovalRecord, error) {
	r.calls = append(r.calls, "reject "+id+" "+step+" "+by+" "+org)
	return &engine.ApprovalRecord{Decision: "rejected", By: by}, nil
}

func (r *recordingRuns) Cancel(_ context.Context, id string) error {
	r.calls = append(r.calls, "cancel "+id)
	return nil
}

func (r *recordingRuns) Retry(_ context.Context, id, from string) (string, error) {
	r.calls = append(r.calls, "retry "+id+" "+from)
	return id + "/retry-1", nil
}

func TestRunRoutes(t *testing.T) {
	runs := &recordingRuns{known: "org-a/block@1/ev1"}
	f := newFixture(t, Options{Runs: runs})
	other := "org-b/block@1/ev2"
	tests := []struct {
		name, method, path, user, body string
		status                         int
		call                           string // the engine call made; "" for none
	}{
		{"list", "GET", "/api/v1/runs?playbook=block", "victor", "", 200, "list org-a block"},
		{"get escaped id", "GET", RunPath(runs.known), "victor", "", 200, "get org-a/block@1/ev1"},
		{"get unknown", "GET", RunPath("org-a/block@1/nope"), "victor", "", 404, "get org-a/block@1/nope"},
		{"other org's run", "GET", RunPath(other), "victor", "", 404, ""},
		{"not a run id", "GET", RunPath("nonsense"), "victor", "", 404, ""},
		{"approve", "POST", RunPath(runs.known) + "/approve", "alice", `{"step":"ok"}`, 200, "approve org-a/block@1/ev1 ok alice org-a"},
		{"approve needs a step", "POST", RunPath(runs.known) + "/approve", "alice", `{}`, 422, ""},
		{"viewer may not approve", "POST", RunPath(runs.known) + "/approve", "victor", `{"step":"ok"}`, 403, ""},
		{"reject", "POST", RunPath(runs.known) + "/reject", "alice", `{"step":"ok","comment":"no"}`, 200, "reject org-a/block@1/ev1 ok alice org-a"},
		{"cancel", "POST", RunPath(runs.known) + "/cancel", "alice", "", 202, "cancel org-a/block@1/ev1"},
		{"cancel other org's", "POST", RunPath(other) + "/cancel", "bob", "", 202, "cancel " + other},
		{"cancel as wrong org", "POST", RunPath(runs.known) + "/cancel", "bob", "", 404, ""},
		{"retry", "POST", RunPath(runs.known) + "/retry", "alice", `{"from_step":"block"}`, 201, "retry org-a/block@1/ev1 block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs.calls = nil
			var body *strings.Reader
			resp := func() *http.Response {
				if tt.body == "" {
					return do(t, f.srv.Handler(), tt.method, tt.path, f.tokens[tt.user], nil)
				}
				body = strings.NewReader(tt.body)
				return do(t, f.srv.Handler(), tt.method, tt.path, f.tokens[tt.user], body)
			}()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, readAll(resp))
			}
			got := strings.Join(runs.calls, "; ")
			if got != tt.call {
				t.Fatalf("engine calls %q, want %q", got, tt.call)
			}
			if tt.status >= 400 {
				readProblem(t, resp)
			}
		})
	}
}

func TestRunRoutesWithoutEngine(t *testing.T) {
	f := newFixture(t, Options{})
	resp := do(t, f.srv.Handler(), "GET", "/api/v1/runs", f.tokens["victor"], nil)
	if p := readProblem(t, resp); p.Status != http.StatusServiceUnavailable {
		t.Fatalf("problem %+v", p)
	}
}
