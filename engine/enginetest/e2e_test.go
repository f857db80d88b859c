package enginetest

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/playbooks"
)

const restartPlaybook = `name: restart
on:
  indicator:
    types: [ipv4]
steps:
  - id: first
    uses: test/echo
    with: {v: "${{ indicator.value }}"}
  - id: pause
    wait: 4s
  - id: second
    uses: test/echo
  - id: ok
    approval:
      message: "go on?"
      approvers: [role:analyst]
  - id: third
    uses: test/echo
`

func startReq(src, event string) engine.StartRequest {
	return engine.StartRequest{Org: "acme", PlaybookName: "restart", Version: 1, Source: []byte(src), Priority: 50,
		Trigger: engine.Trigger{
			Indicator: &playbooks.Indicator{ID: "i1", Type: "ipv4", Value: "198.51.100.1"},
			Event:     &playbooks.Event{ID: event, Kind: "indicator.created"}}}
}

// TestRestart stops the server and worker while a run waits on a durable timer and again
// while it waits on an approval; each time a new server on the same data directory finds
// the run where it was, and every action runs exactly once.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	p := startServerProcess(t, dir)
	c, closeClient := p.client(t)
	id, started, err := c.Start(ctx, startReq(restartPlaybook, "ev-restart"))
	if err != nil || !started {
		t.Fatalf("start: %v %v", started, err)
	}
	waitFor(t, c, id, func(r *engine.Run) bool { return r.Step("pause").Status == playbooks.StatusRunning })
	closeClient()
	p.stop(syscall.SIGKILL) // a crash while the run waits on its timer

	p = startServerProcess(t, dir)
	c, closeClient = p.client(t)
	waitFor(t, c, id, func(r *engine.Run) bool { return r.Step("ok").Status == playbooks.StatusWaiting })
	closeClient()
	p.stop(syscall.SIGTERM) // a clean shutdown while the run waits on an approval

	p = startServerProcess(t, dir)
	defer p.stop(syscall.SIGTERM)
	c, closeClient = p.client(t)
	defer closeClient()
	if _, err := c.Approve(ctx, id, "ok", "alice", []string{"analyst"}, "acme", "fine"); err != nil {
		t.Fatal(err)
	}
	r, err := c.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != engine.RunSucceeded {
		t.Fatalf("run %s: %s", r.Status, r.Error)
	}
	got := readLedger(t, dir)
	for _, step := range []string{"first", "second", "third"} {
		if n := got[id+"/"+step+"/0"]; n != 1 {
			t.Errorf("step %s executed %d times, want 1 (%v)", step, n, got)
		}
	}
	if len(got) != 3 {
		t.Errorf("executions %v", got)
	}
}

// TestClientAPI covers the client on the embedded server: duplicate starts, a playbook that
// fails lint, an approval refused by the validator, list filters, cancel and retry.
func TestClientAPI(t *testing.T) {
	var l ledger
	s := startStack(t, l.executor())
	defer s.stop()
	ctx := context.Background()

	t.Run("lint failure is never started", func(t *testing.T) {
		_, _, err := s.client.Start(ctx, startReq("name: restart\nsteps: nope\n", "ev-bad"))
		var le *engine.LintError
		if !errors.As(err, &le) || len(le.Diagnostics) == 0 {
			t.Fatalf("error %v, want a LintError", err)
		}
		runs, _, err := s.client.List(ctx, engine.Filter{Org: "acme"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if strings.HasSuffix(r.ID, "/ev-bad") {
				t.Errorf("lint failure started %s", r.ID)
			}
		}
	})

	src := strings.Replace(restartPlaybook, "wait: 4s", "wait: 1ms", 1)
	id, started, err := s.client.Start(ctx, startReq(src, "ev-api"))
	if err != nil || !started || id != "acme/restart@1/ev-api" {
		t.Fatalf("start: %q %v %v", id, started, err)
	}
	t.Run("duplicate trigger starts nothing", func(t *testing.T) {
		id2, started, err := s.client.Start(ctx, startReq(src, "ev-api"))
		if err != nil || started || id2 != id {
			t.Errorf("second start: %q %v %v", id2, started, err)
		}
	})
	waitFor(t, s.client, id, func(r *engine.Run) bool { return r.Status == engine.RunWaiting })

	t.Run("list by status and trigger value", func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			runs, _, err := s.client.List(ctx, engine.Filter{Org: "acme", Status: engine.RunWaiting, TriggerValue: "198.51.100.1"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) == 1 && runs[0].ID == id && runs[0].Playbook == "restart" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("list: %+v", runs)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("approval by a non-approver is refused and recorded nowhere", func(t *testing.T) {
		_, err := s.client.Approve(ctx, id, "ok", "mallory", []string{"viewer"}, "acme", "")
		if err == nil || !strings.Contains(err.Error(), "may not decide") {
			t.Fatalf("error %v", err)
		}
		hist := s.tc.GetWorkflowHistory(ctx, id, "", false, 0)
		for hist.HasNext() {
			ev, err := hist.Next()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(ev.String(), "mallory") {
				t.Fatalf("refused decision in history: %v", ev)
			}
		}
		r, _ := s.client.Get(ctx, id)
		if r.Step("ok").Approval.By != "" {
			t.Errorf("approval record %+v", r.Step("ok").Approval)
		}
	})

	t.Run("reject, then retry from the approval", func(t *testing.T) {
		if _, err := s.client.Reject(ctx, id, "ok", "alice", []string{"analyst"}, "acme", "not now"); err != nil {
			t.Fatal(err)
		}
		r, err := s.client.Wait(ctx, id)
		if err != nil || r.Status != engine.RunFailed {
			t.Fatalf("run %+v %v", r, err)
		}
		rid, err := s.client.Retry(ctx, id, "")
		if err != nil || rid != id+"/retry-1" {
			t.Fatalf("retry %q %v", rid, err)
		}
		waitFor(t, s.client, rid, func(r *engine.Run) bool { return r.Status == engine.RunWaiting })
		if _, err := s.client.Approve(ctx, rid, "ok", "alice", []string{"analyst"}, "acme", ""); err != nil {
			t.Fatal(err)
		}
		r, err = s.client.Wait(ctx, rid)
		if err != nil || r.Status != engine.RunSucceeded || !r.Step("first").Reused {
			t.Fatalf("retried run %+v %v", r, err)
		}
		got := l.snapshot()
		if got[id+"/first/0"] != 1 || got[rid+"/first/0"] != 0 || got[rid+"/third/0"] != 1 {
			t.Errorf("executions %v", got)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		cid, _, err := s.client.Start(ctx, startReq(src, "ev-cancel"))
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, s.client, cid, func(r *engine.Run) bool { return r.Status == engine.RunWaiting })
		if err := s.client.Cancel(ctx, cid); err != nil {
			t.Fatal(err)
		}
		r, err := s.client.Wait(ctx, cid)
		if err != nil || r.Status != engine.RunCancelled || r.Step("ok").Status != playbooks.StatusCancelled {
			t.Fatalf("cancelled run %+v %v", r, err)
		}
	})
}
