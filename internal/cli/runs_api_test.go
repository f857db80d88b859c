package cli

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/engine/devserver"
	"github.com/rampartsec/rampart/engine/temporalconn"
	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/playbooks"
)

// gatePlaybook waits for an analyst of its organisation between two echoes.
const gatePlaybook = `name: gate
on:
  indicator:
    types: [ipv4]
steps:
  - id: say
    uses: core/echo
    with: {value: "${{ indicator.value }}"}
  - id: ok
    approval:
      message: "block ${{ indicator.value }}?"
      approvers: [role:analyst]
  - id: done
    uses: core/echo
    with: {by: "${{ steps.ok.output.by }}"}
`

// runsEnv is what the runs tests run the CLI against: an embedded Temporal server on a data
// directory with a worker (as `rampart serve` runs them), and the real API on a real store in
// the same directory, whose engine is a client of that server.
type runsEnv struct {
	dir, url string
	engine   *engine.Client
	tokens   map[string]string // alice: analyst of acme; victor: viewer of acme; bob: analyst of globex
}

func startRunsEnv(t *testing.T) *runsEnv {
	t.Helper()
	dir := t.TempDir()
	srv, err := devserver.Start(devserver.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tc, err := temporalconn.Dial(ctx, temporalconn.Options{Address: srv.Address(), Namespace: srv.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	// Only acme's actions run: globex's runs stay at their first step.
	w, err := engine.NewWorker(tc, engine.WorkerOptions{Workflows: true, Orgs: []string{"acme"}, Executor: cliExecutor()})
	if err == nil {
		err = w.Start()
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	e := &runsEnv{dir: dir, engine: engine.NewClient(tc), tokens: map[string]string{}}
	url, st := serveAPI(t, dir, e.engine)
	e.url = url
	for _, org := range []string{"acme", "globex"} {
		if _, err := st.CreateOrg(ctx, org, strings.ToUpper(org)); err != nil {
			t.Fatal(err)
		}
	}
	e.tokens["alice"] = addUser(t, st, "acme", "alice", intel.RoleAnalyst)
	e.tokens["victor"] = addUser(t, st, "acme", "victor", intel.RoleViewer)
	e.tokens["bob"] = addUser(t, st, "globex", "bob", intel.RoleAnalyst)
	return e
}

// start starts a run of the gate playbook for org on a fixed event, so that its ID is known.
func (e *runsEnv) start(t *testing.T, org, event, value string) string {
	t.Helper()
	id, _, err := e.engine.Start(context.Background(), engine.StartRequest{Org: org, PlaybookName: "gate", Version: 1,
		Source: []byte(gatePlaybook), Priority: 50, Trigger: engine.Trigger{
			Indicator: &playbooks.Indicator{ID: "i-" + event, Type: "ipv4", Value: value, TLP: "amber"},
			Event:     &playbooks.Event{ID: event, Kind: "indicator.created", Org: org}}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitRun polls the run's record until ok says so.
func (e *runsEnv) waitRun(t *testing.T, id string, ok func(r *engine.Run) bool) *engine.Run {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r, err := e.engine.Get(context.Background(), id)
		if err == nil && ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s: %+v, %v", id, r, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitList polls the run list (visibility lags the runs a little) until ok says so.
func (e *runsEnv) waitList(t *testing.T, f engine.Filter, ok func([]engine.Summary) bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		runs, _, err := e.engine.List(context.Background(), f, nil)
		if err == nil && ok(runs) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("runs %+v, %v", runs, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// as says how a command line reaches the runs: a token and a server (through the API), or
// neither (the operator's mode; the data directory is then passed with --data).
type as struct{ token, server string }

// rampart runs the CLI with the environment of who and returns its exit status and output.
func (e *runsEnv) rampart(t *testing.T, who as, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("RAMPART_TOKEN", who.token)
	t.Setenv("RAMPART_SERVER", who.server)
	t.Setenv("RAMPART_DATA", "")
	if who == (as{}) {
		args = append(args, "--data", e.dir)
	}
	var stdout, stderr bytes.Buffer
	code := Main(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func (e *runsEnv) api(user string) as { return as{token: e.tokens[user], server: e.url} }

var timestamps = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)

// stable replaces the times of an output (RFC 3339 in UTC, as both list and show print them)
// with a placeholder of the same width, so that golden tables keep their alignment.
func stable(s string) string { return timestamps.ReplaceAllString(s, "YYYY-MM-DDThh:mm:ssZ") }

// TestRunsThroughTheAPI checks that with a token every runs subcommand goes through the API:
// the same output as the operator's mode, the token's user as the decider, the API's role
// checks and organisation scope, and the identity flags refused.
func TestRunsThroughTheAPI(t *testing.T) {
	e := startRunsEnv(t)
	idA := e.start(t, "acme", "ev-a", "203.0.113.7")
	idB := e.start(t, "acme", "ev-b", "203.0.113.8")
	idC := e.start(t, "acme", "ev-c", "203.0.113.9")
	idG := e.start(t, "globex", "ev-g", "198.51.100.1")
	e.waitList(t, engine.Filter{Org: "acme", Status: engine.RunWaiting}, func(runs []engine.Summary) bool { return len(runs) == 3 })
	e.waitList(t, engine.Filter{Org: "globex"}, func(runs []engine.Summary) bool { return len(runs) == 1 })
	local := as{}

	t.Run("same output in both modes", func(t *testing.T) {
		tests := []struct {
			name        string
			args        []string
			localExtra  []string // the operator sees every organisation: --org narrows it to the token's
			golden      string   // "" : compared between the modes only
			wantInLocal string
		}{
			{"list", []string{"runs", "list"}, []string{"--org", "acme"}, "api_list.txt.golden", idC},
			{"list json", []string{"runs", "list", "--format", "json"}, []string{"--org", "acme"}, "", `"id": "` + idA},
			{"list filtered", []string{"runs", "list", "--trigger", "203.0.113.8", "--status", "waiting_for_approval", "--limit", "5"}, nil, "", idB},
			{"show", []string{"runs", "show", idA}, nil, "api_show.txt.golden", "approval: \"block 203.0.113.7?\""},
			{"show json", []string{"runs", "show", idA, "--format", "json"}, nil, "", `"approvers": [`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, want, stderr := e.rampart(t, local, append(tt.args, tt.localExtra...)...)
				if code != ExitOK || !strings.Contains(want, tt.wantInLocal) {
					t.Fatalf("operator's mode: exit %d, stderr %q, stdout:\n%s", code, stderr, want)
				}
				code, got, stderr := e.rampart(t, e.api("alice"), tt.args...)
				if code != ExitOK || stderr != "" {
					t.Fatalf("through the API: exit %d, stderr %q", code, stderr)
				}
				if got != want {
					t.Fatalf("through the API:\n%s\nthe operator's mode:\n%s", got, want)
				}
				if tt.golden != "" {
					runsGolden(t, tt.golden, stable(got))
				}
			})
		}
	})

	t.Run("refused", func(t *testing.T) {
		tests := []struct {
			name           string
			who            as
			args           []string
			code           int
			stdout, stderr string
		}{
			{"--as with a token", e.api("alice"), []string{"runs", "approve", idA, "ok", "--as", "mallory"}, ExitUsage, "", "--as refused: RAMPART_TOKEN"},
			{"--org and --role with a token", e.api("alice"), []string{"runs", "reject", idA, "ok", "--org", "acme", "--role", "org_admin"}, ExitUsage, "", "--org, --role refused"},
			{"list --org with a token", e.api("alice"), []string{"runs", "list", "--org", "globex"}, ExitUsage, "", "token decides who you are"},
			{"--data with a token", e.api("alice"), []string{"runs", "show", idA, "--data", e.dir}, ExitUsage, "", "--data refused"},
			{"a server without a token", as{server: e.url}, []string{"runs", "list"}, ExitUsage, "", "RAMPART_TOKEN is not set"},
			{"a server that is not a URL", as{token: e.tokens["alice"], server: "localhost:8080"}, []string{"runs", "list"}, ExitUsage, "", "want a URL"},
			{"limit out of range", e.api("alice"), []string{"runs", "list", "--limit", "0"}, ExitUsage, "", "--limit 0"},
			{"operator without --as", local, []string{"runs", "approve", idA, "ok", "--org", "acme"}, ExitUsage, "", "--as USER and --org ORG are required"},
			{"unknown token", as{token: "rmp_nope", server: e.url}, []string{"runs", "list"}, ExitInput, "", "(401)"},
			{"another organisation's run is not there", e.api("bob"), []string{"runs", "show", idA}, ExitInput, "", "No such resource (404): your organisation has no run"},
			{"another organisation's analyst may not approve", e.api("bob"), []string{"runs", "approve", idA, "ok"}, ExitInput, "",
				`(409): bob may not decide step "ok": approvers are role:analyst`},
			{"another organisation's analyst may not cancel", e.api("bob"), []string{"runs", "cancel", idA}, ExitInput, "", "(404)"},
			{"another organisation's analyst may not retry", e.api("bob"), []string{"runs", "retry", idA}, ExitInput, "", "(404)"},
			{"a viewer may not approve", e.api("victor"), []string{"runs", "approve", idA, "ok"}, ExitInput, "",
				"Your roles do not allow this (403): this needs the run:approve permission"},
			{"a viewer may not cancel", e.api("victor"), []string{"runs", "cancel", idA}, ExitInput, "", "(403)"},
			{"a step that is not waiting", e.api("alice"), []string{"runs", "approve", idA, "say"}, ExitInput, "", `step "say" is not waiting for approval`},
			{"a run still waiting is not retried", e.api("alice"), []string{"runs", "retry", idA}, ExitInput, "", "(409)"},
			{"the other organisation lists its own runs only", e.api("bob"), []string{"runs", "list"}, ExitOK, idG + "  running", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, stdout, stderr := e.rampart(t, tt.who, tt.args...)
				t.Logf("exit %d, stderr: %s", code, stderr)
				if code != tt.code {
					t.Fatalf("exit %d, want %d (stdout %q, stderr %q)", code, tt.code, stdout, stderr)
				}
				if !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
					t.Fatalf("stdout %q (want %q), stderr %q (want %q)", stdout, tt.stdout, stderr, tt.stderr)
				}
				if strings.Contains(stdout, "acme/") && tt.who.token == e.tokens["bob"] {
					t.Fatalf("bob sees acme's runs: %s", stdout)
				}
			})
		}
		// Refused decisions are recorded nowhere: the step still waits, undecided.
		if a := e.waitRun(t, idA, func(*engine.Run) bool { return true }).Step("ok").Approval; a.Decision != "" || a.By != "" {
			t.Fatalf("a refused decision was recorded: %+v", a)
		}
	})

	t.Run("approve records the token's user", func(t *testing.T) {
		code, stdout, stderr := e.rampart(t, e.api("alice"), "runs", "approve", idA, "ok", "--comment", "checked")
		if code != ExitOK || stdout != "step ok of "+idA+" approved by alice\n" || stderr != "" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		r := e.waitRun(t, idA, (*engine.Run).Done)
		a := r.Step("ok").Approval
		if r.Status != engine.RunSucceeded || a.Decision != "approved" || a.By != "alice" || a.Org != "acme" || a.Comment != "checked" {
			t.Fatalf("run %s, approval %+v", r.Status, a)
		}
		if out, _ := r.Step("done").Output.(map[string]any); out["by"] != "alice" {
			t.Fatalf("the step after the approval saw %v", r.Step("done").Output)
		}
		_, stdout, _ = e.rampart(t, e.api("alice"), "runs", "show", idA)
		if !strings.Contains(stdout, `; approved by alice (acme): "checked" at `) {
			t.Fatalf("runs show:\n%s", stdout)
		}
	})

	t.Run("reject, retry and cancel", func(t *testing.T) {
		steps := []struct {
			args   []string
			stdout string
		}{
			{[]string{"runs", "reject", idB, "ok", "--comment", "false positive"}, "step ok of " + idB + " rejected by alice\n"},
			{[]string{"runs", "retry", idB, "--from", "ok"}, "started " + idB + "/retry-1\n"},
			{[]string{"runs", "cancel", idC}, "cancel requested for " + idC + "\n"},
		}
		for _, s := range steps {
			code, stdout, stderr := e.rampart(t, e.api("alice"), s.args...)
			if code != ExitOK || stdout != s.stdout || stderr != "" {
				t.Fatalf("%v: exit %d, stdout %q, stderr %q", s.args, code, stdout, stderr)
			}
			if s.args[1] == "reject" {
				// A retry needs the run ended.
				if r := e.waitRun(t, idB, (*engine.Run).Done); r.Status != engine.RunFailed || r.Step("ok").Approval.By != "alice" {
					t.Fatalf("rejected run %s: %+v", r.Status, r.Step("ok").Approval)
				}
			}
		}
		if r := e.waitRun(t, idC, (*engine.Run).Done); r.Status != engine.RunCancelled {
			t.Fatalf("cancelled run: %s", r.Status)
		}
		retry := e.waitRun(t, idB+"/retry-1", func(r *engine.Run) bool { return r.Status == engine.RunWaiting })
		if retry.RetryOf != idB {
			t.Fatalf("retry of %q", retry.RetryOf)
		}
	})

	t.Run("the operator's mode says whom it acts as", func(t *testing.T) {
		id := idB + "/retry-1"
		code, stdout, stderr := e.rampart(t, local, "runs", "approve", id, "ok", "--as", "carol", "--org", "acme", "--role", "analyst")
		if code != ExitOK || stdout != "step ok of "+id+" approved by carol\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		if !strings.Contains(stderr, "note: RAMPART_TOKEN is not set: acting as the operator") || strings.Count(stderr, "\n") != 1 {
			t.Fatalf("stderr %q", stderr)
		}
		if r := e.waitRun(t, id, (*engine.Run).Done); r.Status != engine.RunSucceeded || r.Step("ok").Approval.By != "carol" {
			t.Fatalf("run %s: %+v", r.Status, r.Step("ok").Approval)
		}
	})
}
