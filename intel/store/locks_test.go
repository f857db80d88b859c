package store

import (
	"context"
	"testing"
	"time"

	"github.com/rampartsec/rampart/intel"
)

func TestRunLocks(t *testing.T) {
	s, clk := newTestStore(t)
	ctx := context.Background()
	steps := []struct {
		name     string
		advance  time.Duration
		holder   string
		release  string
		wantHeld bool
	}{
		{"first run takes the key", 0, "run-1", "", true},
		{"a second run is refused", 0, "run-2", "", false},
		{"the holder again (a redelivery) keeps it", 0, "run-1", "", true},
		{"still refused before the TTL", 59 * time.Minute, "run-2", "", false},
		{"taken over once expired", 2 * time.Minute, "run-2", "", true},
		{"the old holder is now refused", 0, "run-1", "", false},
		{"free after release", 0, "run-3", "run-2", true},
	}
	for _, st := range steps {
		clk.Add(st.advance)
		if st.release != "" {
			if err := s.ReleaseRunLock(ctx, st.release); err != nil {
				t.Fatal(err)
			}
		}
		held, err := s.AcquireRunLock(ctx, "acme", "block", "198.51.100.1", st.holder, time.Hour)
		if err != nil || held != st.wantHeld {
			t.Fatalf("%s: held %v, %v; want %v", st.name, held, err, st.wantHeld)
		}
	}
	// Queued runs come out one per key, oldest first, once the key is free.
	for _, id := range []string{"q-1", "q-2"} {
		clk.Add(time.Second)
		if err := s.QueueRun(ctx, QueuedRun{WorkflowID: id, Org: "acme", Playbook: "block", Key: "198.51.100.1", Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if r, _ := s.ReadyRuns(ctx, 10); len(r) != 0 {
		t.Fatalf("ready while run-3 holds the key: %+v", r)
	}
	s.ReleaseRunLock(ctx, "run-3")
	r, err := s.ReadyRuns(ctx, 10)
	if err != nil || len(r) != 1 || r[0].WorkflowID != "q-1" {
		t.Fatalf("ready = %+v, %v; want q-1 alone", r, err)
	}
	s.DequeueRun(ctx, "q-1")
	if r, _ := s.ReadyRuns(ctx, 10); len(r) != 1 || r[0].WorkflowID != "q-2" {
		t.Fatalf("after q-1: %+v", r)
	}
}

func TestPruneOutbox(t *testing.T) {
	s, clk := newTestStore(t)
	c := newCommunity(t, s)
	ctx := context.Background()
	for _, v := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"} {
		if _, _, err := s.CreateIndicator(ctx, c.acme, intel.Input{Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	evs, _ := s.PendingEvents(ctx, 10)
	if err := s.MarkDispatched(ctx, evs[0].ID, evs[1].ID); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	n, err := s.PruneOutbox(ctx, clk.Now())
	if err != nil || n != 2 {
		t.Fatalf("pruned %d, %v; want the 2 dispatched events", n, err)
	}
	if left, _ := s.PendingEvents(ctx, 10); len(left) != 1 || left[0].ID != evs[2].ID {
		t.Fatalf("pending after prune: %+v", left)
	}
}
