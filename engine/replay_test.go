package engine

import (
	"log/slog"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestReplayRecordedHistories replays the histories recorded on the embedded server (see
// engine/enginetest TestRecordHistories) with the current interpreter: a change to the
// interpreter that is not guarded by workflow.GetVersion makes them fail.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.history.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("want at least two recorded histories in testdata, found %v", files)
	}
	logger := log.NewStructuredLogger(slog.New(slog.DiscardHandler))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(PlaybookWorkflow, workflow.RegisterOptions{Name: WorkflowName})
			if err := r.ReplayWorkflowHistoryFromJSONFile(logger, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}

// TestReplayDetectsAnUnguardedChange replays a recorded history with a workflow that
// schedules its first command differently, to show the replay test has teeth.
func TestReplayDetectsAnUnguardedChange(t *testing.T) {
	changed := func(ctx workflow.Context, in RunInput) (*Run, error) {
		if err := workflow.Sleep(ctx, 1); err != nil {
			return nil, err
		}
		return PlaybookWorkflow(ctx, in)
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(changed, workflow.RegisterOptions{Name: WorkflowName})
	err := r.ReplayWorkflowHistoryFromJSONFile(log.NewStructuredLogger(slog.New(slog.DiscardHandler)), "testdata/steps.history.json")
	if err == nil {
		t.Fatal("a changed interpreter replayed the recorded history without error")
	}
}
