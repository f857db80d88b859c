package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/playbooks"
)

// runsGolden compares got with testdata/runs/<name>, or rewrites it with -update.
func runsGolden(t *testing.T, name, got string) {
	t.Helper()
	golden(t, filepath.Join("runs", name), got)
}

// noAPI clears the environment that would send the runs subcommands through the API: these
// tests use the operator's mode on a data directory.
func noAPI(t *testing.T) {
	t.Setenv("RAMPART_TOKEN", "")
	t.Setenv("RAMPART_SERVER", "")
}

func TestPlaybookTestCommand(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{"text", []string{"playbook", "test", "testdata/playbooktest"}, ExitInput, "playbook_test.txt.golden"},
		{"one file", []string{"playbook", "test", "testdata/playbooktest/block_test.yaml"}, ExitInput, "playbook_test.txt.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main(tt.args, &stdout, &stderr); code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.code, stderr.String())
			}
			runsGolden(t, tt.golden, stdout.String())
		})
	}
	t.Run("json", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		Main([]string{"playbook", "test", "--format", "json", "testdata/playbooktest"}, &stdout, &stderr)
		var res []engine.CaseResult
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			t.Fatalf("%v: %s", err, stdout.String())
		}
		if len(res) != 4 || !res[0].Passed || res[2].Passed {
			t.Errorf("results %+v", res)
		}
	})
	t.Run("missing path is a usage error", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := Main([]string{"playbook", "test", "testdata/nope"}, &stdout, &stderr); code != ExitUsage {
			t.Errorf("exit %d, want %d", code, ExitUsage)
		}
	})
}

func TestPrintRun(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	r := &engine.Run{ID: "acme/block@3/ev-1", Org: "acme", Playbook: "block", Version: 3, Priority: 80,
		Status: engine.RunFailed, Error: "step ticket failed: unavailable: jira down", StartedAt: t0, EndedAt: &t1,
		Steps: []*engine.StepRecord{
			{ID: "block", Kind: "uses", Status: playbooks.StatusSucceeded, Input: map[string]any{"addresses": []any{"203.0.113.7"}},
				Output: map[string]any{"blocked": 1}, Attempts: 2, StartedAt: &t0, EndedAt: &t1},
			{ID: "ok", Kind: "approval", Status: playbooks.StatusSucceeded, Approval: &engine.ApprovalRecord{
				Message: "ticket it?", Approvers: []string{"role:analyst"}, Decision: "approved", By: "alice", Org: "acme", Comment: "yes", At: &t1}},
			{ID: "ticket", Kind: "uses", Status: playbooks.StatusFailed, Error: "unavailable: jira down", Attempts: 3},
			{ID: "h", Kind: "uses", Parent: "ticket", Status: playbooks.StatusSucceeded},
		}}
	var b bytes.Buffer
	printRun(&b, r)
	runsGolden(t, "show.txt.golden", b.String())
}

func TestPlaybookRunBadInput(t *testing.T) {
	noAPI(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: bad\non:\n  indicator:\n    types: [ipv4]\nsteps:\n  - id: a\n    uses: core/echo\n    with: {x: \"${{ steps.nope.output }}\"}\n"), 0o644)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"lint failure is not started", []string{"playbook", "run", "--data", dir, bad}, ExitInput, "bad.yaml:8:"},
		{"bad indicator", []string{"playbook", "run", "--data", dir, "--indicator", "nocolon", bad}, ExitUsage, "TYPE:VALUE"},
		{"bad input", []string{"playbook", "run", "--data", dir, "--input", "novalue", bad}, ExitUsage, "name=value"},
		{"approve needs who", []string{"runs", "approve", "--data", dir, "r", "s"}, ExitUsage, "--as USER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main(tt.args, &stdout, &stderr); code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), tt.stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "temporal.db")); err == nil {
				t.Errorf("a server was started for a command that could not run")
			}
		})
	}
}

// TestPlaybookRunFollowsToTheEnd runs a playbook on an embedded server this command starts,
// then lists and shows the run from the same data directory.
func TestPlaybookRunFollowsToTheEnd(t *testing.T) {
	noAPI(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "echo.yaml")
	os.WriteFile(file, []byte(`name: echo
on:
  indicator:
    types: [ipv4]
steps:
  - id: say
    uses: core/echo
    with: {value: "${{ indicator.value }}"}
  - id: pause
    wait: 1ms
`), 0o644)
	var stdout, stderr bytes.Buffer
	code := Main([]string{"playbook", "run", "--data", dir, "--org", "acme", "--indicator", "ipv4:203.0.113.7", file}, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d: %s%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"started acme/echo@0/manual-", "say", "succeeded", "pause", "succeeded\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	id := strings.Fields(strings.SplitN(out, "\n", 2)[0])[1]

	stdout.Reset()
	if code := Main([]string{"runs", "list", "--data", dir, "--format", "json", "--org", "acme"}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("runs list: exit %d: %s", code, stderr.String())
	}
	var list []engine.Summary
	if err := json.Unmarshal(stdout.Bytes(), &list); err != nil || len(list) != 1 || list[0].ID != id || list[0].Status != "succeeded" {
		t.Fatalf("runs list: %v %s", err, stdout.String())
	}
	stdout.Reset()
	if code := Main([]string{"runs", "show", "--data", dir, id}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("runs show: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `output: {"value":"203.0.113.7"}`) {
		t.Errorf("runs show:\n%s", stdout.String())
	}
}
