package enginetest

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/playbooks"
)

var update = flag.Bool("update", false, "record engine/testdata/*.history.json again")

// recorded are the runs whose histories engine's replay test replays: between them they use
// every step kind, so an interpreter change that is not guarded by workflow.GetVersion fails
// to replay them.
var recorded = []struct {
	file, src string
	approve   bool
}{
	{file: "steps.history.json", src: `name: steps
on:
  indicator:
    types: [ipv4]
steps:
  - id: a
    uses: test/echo
    with: {v: "${{ indicator.value }}"}
  - id: s
    set: {label: "seen ${{ steps.a.output.v }}"}
  - id: skipped
    if: indicator.type == "domain"
    uses: test/echo
  - id: loop
    uses: test/echo
    for_each: ${{ ["x", "y", "z"] }}
    max_parallel: 2
    with: {item: "${{ item }}"}
  - id: both
    parallel:
      - id: left
        uses: test/echo
        with: {l: "${{ vars.label }}"}
      - id: right
        uses: test/echo
`},
	{file: "approval.history.json", approve: true, src: `name: approval
on:
  indicator:
    types: [ipv4]
steps:
  - id: pause
    wait: 1s
  - id: ok
    approval:
      message: "Block ${{ indicator.value }}?"
      approvers: [role:analyst]
      timeout: 1h
      on_timeout: skip
  - id: broken
    uses: test/unknown
    retry: {attempts: 1}
    on_error:
      - id: handler
        uses: test/echo
        with: {why: "${{ steps.broken.error }}"}
`},
}

// TestRecordHistories runs the recorded playbooks on the embedded server; with -update it
// writes their histories to engine/testdata.
func TestRecordHistories(t *testing.T) {
	var l ledger
	exec := l.executor()
	s := startStack(t, failUnknown(exec))
	defer s.stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, rec := range recorded {
		id, _, err := s.client.Start(ctx, engine.StartRequest{Org: "acme", PlaybookName: rec.file, Version: 1,
			Source: []byte(rec.src), Priority: 50, Trigger: engine.Trigger{
				Indicator: &playbooks.Indicator{ID: "i1", Type: "ipv4", Value: "192.0.2.1"},
				Event:     &playbooks.Event{ID: "ev", Kind: "indicator.created"}}})
		if err != nil {
			t.Fatal(err)
		}
		if rec.approve {
			waitFor(t, s.client, id, func(r *engine.Run) bool { return r.Status == engine.RunWaiting })
			if _, err := s.client.Approve(ctx, id, "ok", "alice", []string{"analyst"}, "acme", "yes"); err != nil {
				t.Fatal(err)
			}
		}
		r, err := s.client.Wait(ctx, id)
		if err != nil || r.Status != engine.RunSucceeded {
			t.Fatalf("%s: %+v %v", rec.file, r, err)
		}
		var events []*historypb.HistoryEvent
		it := s.tc.GetWorkflowHistory(ctx, id, "", false, 0)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, ev)
		}
		b, err := protojson.MarshalOptions{Indent: " "}.Marshal(&historypb.History{Events: events})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "testdata", rec.file)
		if *update {
			if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s is missing: run go test ./engine/enginetest -run TestRecordHistories -update", path)
		}
	}
}
