package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/core"
	"github.com/rampartsec/rampart/actions/schema"
	"github.com/rampartsec/rampart/actions/sdk/httpx"
	"github.com/rampartsec/rampart/playbooks"
)

// coreExecutor runs core/* actions for real, checking their output against the declared
// output schema as the plugin manager does, and answers firewall/block as the firewall
// plugin would ({blocked, requested}), recording its calls.
func coreExecutor(t *testing.T, c *calls) actions.Executor {
	builtins := core.New(slog.New(slog.DiscardHandler), httpx.Options{RetryMax: -1, Timeout: 5 * time.Second})
	return actions.ExecutorFunc(func(ctx context.Context, r actions.Request) (map[string]any, error) {
		c.add(r)
		if spec, ok := core.Lookup(r.Action); ok {
			out, err := builtins.Execute(ctx, r)
			if err != nil {
				return nil, err
			}
			s, err := schema.Compile(spec.Name+" output", spec.OutputSchema)
			if err != nil {
				t.Errorf("%s: %v", r.Action, err)
				return nil, err
			}
			if err := s.Validate("output", out); err != nil {
				t.Errorf("%s returned output that breaks its own output schema: %v", r.Action, err)
				return nil, actions.Errorf(actions.CodeInvalidOutput, false, "%v", err)
			}
			return out, nil
		}
		if r.Action == "firewall/block" {
			n, _ := r.Input["addresses"].([]any)
			return map[string]any{"blocked": len(n), "requested": len(n)}, nil
		}
		return nil, actions.Errorf(actions.CodeUnknownAction, false, "no action %s", r.Action)
	})
}

// TestExampleEnrichThenBlockWithRealHTTP runs examples/playbooks/enrich-then-block.yaml with
// the real core/http against a local enrichment service, so that the example reads the output
// core/http actually returns (the decoded JSON under output.json, the body as text under
// output.body), which its mocked test file cannot show.
func TestExampleEnrichThenBlockWithRealHTTP(t *testing.T) {
	src, err := os.ReadFile("../examples/playbooks/enrich-then-block.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const placeholder = "https://enrich.example.net"
	if !bytes.Contains(src, []byte(placeholder)) {
		t.Fatalf("the example no longer calls %s; update this test", placeholder)
	}
	cases := []struct {
		name     string
		answer   string
		ctype    string // default application/json
		block    bool
		comment  string
		statuses string
	}{
		{name: "malicious", answer: `{"verdict": "malicious", "score": 92}`, block: true, comment: "enrichment score 92",
			statuses: "enrich=succeeded block=succeeded"},
		{name: "benign", answer: `{"verdict": "benign", "score": 5}`, statuses: "enrich=succeeded block=skipped"},
		{name: "malicious but not sure", answer: `{"verdict": "malicious", "score": 60}`, statuses: "enrich=succeeded block=skipped"},
		{name: "malicious as text/plain", answer: `{"verdict": "malicious", "score": 80}`, ctype: "text/plain", block: true,
			comment: "enrichment score 80", statuses: "enrich=succeeded block=succeeded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var asked string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked = r.Method + " " + r.URL.Path
				ctype := tc.ctype
				if ctype == "" {
					ctype = "application/json"
				}
				w.Header().Set("Content-Type", ctype)
				_, _ = w.Write([]byte(tc.answer))
			}))
			defer srv.Close()

			c := &calls{}
			var s testsuite.WorkflowTestSuite
			s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
			env := s.NewTestWorkflowEnvironment()
			env.SetTestTimeout(30 * time.Second)
			env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: DeadlockDetectionTimeout})
			Register(env, &Activities{Executor: coreExecutor(t, c)})
			in := RunInput{Org: "acme", Playbook: "enrich-then-block", Version: 1, File: "enrich-then-block.yaml",
				Source: bytes.ReplaceAll(src, []byte(placeholder), []byte(srv.URL)), Priority: 40,
				Trigger: Trigger{
					Indicator: &playbooks.Indicator{ID: "ind-50", Type: "ipv4", Value: "203.0.113.50", TLP: "amber", Confidence: 55},
					Event:     &playbooks.Event{ID: "ev-50", Kind: "indicator.created", Org: "acme"},
				}}
			env.ExecuteWorkflow(WorkflowName, in)
			run := result(t, env)

			if asked != "GET /v1/ip/203.0.113.50" {
				t.Errorf("the enrichment service was asked %q", asked)
			}
			if run.Status != RunSucceeded {
				t.Fatalf("run %s (%s), want succeeded; steps: %s", run.Status, run.Error, describeSteps(run))
			}
			if got := statuses(run); got != tc.statuses {
				t.Fatalf("steps: %s, want %s; %s", got, tc.statuses, describeSteps(run))
			}
			if n := c.count("firewall/block"); (n == 1) != tc.block || n > 1 {
				t.Fatalf("firewall/block called %d times, want block=%v", n, tc.block)
			}
			if tc.block {
				in, _ := run.Step("block").Input.(map[string]any)
				if got, _ := in["comment"].(string); got != tc.comment {
					t.Errorf("block comment %q, want %q", got, tc.comment)
				}
			}
		})
	}
}

// describeSteps shows each step's status, error and output, for failure messages.
func describeSteps(r *Run) string {
	b, _ := json.Marshal(r.Steps)
	return string(b)
}
