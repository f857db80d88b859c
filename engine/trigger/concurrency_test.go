package trigger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/intel"
)

// gatedStarter is a recording fake Starter for the concurrent dispatch: every start waits
// for release, checks that its event is still pending (an event must not be marked before
// all its runs started), and fails while fail says so. It dedupes workflow ids as
// Temporal's reject-duplicate policy does.
type gatedStarter struct {
	f       *fixture
	release chan struct{} // closed: starts proceed; nil: no waiting
	fail    func(engine.StartRequest) bool

	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	ids         map[string]bool
	started     []string       // workflow ids, in start order
	violations  []string       // starts of events already marked dispatched
	calls       map[string]int // Start calls per workflow id
}

func (g *gatedStarter) Start(ctx context.Context, req engine.StartRequest) (string, bool, error) {
	id := workflowID(req)
	g.mu.Lock()
	g.inFlight++
	g.maxInFlight = max(g.maxInFlight, g.inFlight)
	if g.calls == nil {
		g.calls, g.ids = map[string]int{}, map[string]bool{}
	}
	g.calls[id]++
	g.mu.Unlock()
	defer func() { g.mu.Lock(); g.inFlight--; g.mu.Unlock() }()
	if g.release != nil {
		select {
		case <-g.release:
		case <-ctx.Done():
			return "", false, ctx.Err()
		}
	}
	pending, err := g.f.st.PendingEvents(ctx, 1000)
	if err != nil {
		return "", false, err
	}
	still := false
	for _, ev := range pending {
		still = still || ev.ID == req.Trigger.Event.ID
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !still {
		g.violations = append(g.violations, id)
	}
	if g.fail != nil && g.fail(req) {
		return "", false, errors.New("temporal unavailable")
	}
	if g.ids[id] {
		return id, false, nil
	}
	g.ids[id] = true
	g.started = append(g.started, id)
	return id, true, nil
}

func (g *gatedStarter) snapshot() (inFlight, maxInFlight int, started []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inFlight, g.maxInFlight, append([]string(nil), g.started...)
}

// withStarter replaces the fixture's router with one that uses s and bound.
func (f *fixture) withStarter(t testing.TB, s Starter, bound int) {
	t.Helper()
	r, err := New(Options{Store: f.st, Starter: s, MaxInFlight: bound,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return f.clock }})
	if err != nil {
		t.Fatal(err)
	}
	f.router = r
}

func TestRouterStartsRunsConcurrentlyUpToTheBound(t *testing.T) {
	f := newFixture(t)
	g := &gatedStarter{f: f, release: make(chan struct{})}
	const bound, events = 4, 12
	f.withStarter(t, g, bound)
	f.playbook(t, "beta", "b", ipTypes, "", "")
	for i := range events {
		f.report(t, f.acme, intel.Input{Value: fmt.Sprintf("198.51.100.%d", 100+i)})
	}
	ctx := context.Background()
	type result struct {
		n   int
		err error
	}
	res := make(chan result, 1)
	go func() { n, err := f.router.DispatchOnce(ctx); res <- result{n, err} }()
	// The starts pile up at the gate: exactly `bound` of them, and nothing is marked yet.
	deadline := time.Now().Add(10 * time.Second)
	for {
		in, _, _ := g.snapshot()
		if in == bound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d starts in flight, want %d", in, bound)
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // room for a start past the bound to show up
	if in, maxIn, _ := g.snapshot(); in != bound || maxIn != bound {
		t.Fatalf("in flight %d (max %d), want the bound %d", in, maxIn, bound)
	}
	if n, _ := f.st.PendingCount(ctx); n != events {
		t.Fatalf("%d events pending while their starts are in flight, want %d", n, events)
	}
	close(g.release)
	r := <-res
	if r.err != nil || r.n != events {
		t.Fatalf("DispatchOnce = %d, %v; want %d, nil", r.n, r.err, events)
	}
	_, maxIn, started := g.snapshot()
	if len(started) != events || maxIn != bound {
		t.Fatalf("started %d runs with at most %d in flight; want %d with %d", len(started), maxIn, events, bound)
	}
	if len(g.violations) != 0 {
		t.Fatalf("runs started after their event was marked dispatched: %v", g.violations)
	}
	if n, _ := f.st.PendingCount(ctx); n != 0 {
		t.Fatalf("%d events pending after every run started", n)
	}
}

func TestRouterMarksAnEventOnlyAfterAllItsRunsStarted(t *testing.T) {
	f := newFixture(t)
	// Two playbooks of one priority: the event's two starts run concurrently; one is slow.
	slow := make(chan struct{})
	g := &gatedStarter{f: f}
	s := StarterFunc(func(ctx context.Context, req engine.StartRequest) (string, bool, error) {
		if req.PlaybookName == "slow" {
			<-slow
		}
		return g.Start(ctx, req)
	})
	f.withStarter(t, s, 8)
	f.playbook(t, "beta", "fast", ipTypes, "", "")
	f.playbook(t, "beta", "slow", ipTypes, "", "")
	f.report(t, f.acme, intel.Input{Value: "198.51.100.60"})
	ctx := context.Background()
	res := make(chan error, 1)
	go func() { _, err := f.router.DispatchOnce(ctx); res <- err }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, _, started := g.snapshot(); len(started) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the fast run did not start")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	if n, _ := f.st.PendingCount(ctx); n != 1 {
		t.Fatalf("pending = %d while a run of the event is still starting, want 1", n)
	}
	close(slow)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if _, _, started := g.snapshot(); len(started) != 2 || len(g.violations) != 0 {
		t.Fatalf("started %v, violations %v", started, g.violations)
	}
	if n, _ := f.st.PendingCount(ctx); n != 0 {
		t.Fatalf("pending = %d after both runs started", n)
	}
}

func TestRouterLeavesAnEventWithAFailedStartForRedelivery(t *testing.T) {
	f := newFixture(t)
	var broken sync.Mutex
	failing := true
	g := &gatedStarter{f: f}
	g.fail = func(req engine.StartRequest) bool {
		broken.Lock()
		defer broken.Unlock()
		return failing && req.PlaybookName == "b" && req.Trigger.Indicator.Value == "198.51.100.71"
	}
	f.withStarter(t, g, 8)
	f.playbook(t, "acme", "a", ipTypes, "", "")
	f.playbook(t, "beta", "b", ipTypes, "", "")
	for _, v := range []string{"198.51.100.70", "198.51.100.71", "198.51.100.72"} {
		f.report(t, f.acme, intel.Input{Value: v})
	}
	ctx := context.Background()
	n, err := f.router.DispatchOnce(ctx)
	if err == nil {
		t.Fatal("a failed start was not reported")
	}
	if n != 2 {
		t.Fatalf("marked %d events, want the 2 whose runs all started", n)
	}
	pending, _ := f.st.PendingEvents(ctx, 10)
	if len(pending) != 1 {
		t.Fatalf("pending = %d, want the event with the failed start", len(pending))
	}
	ind, _ := f.st.Indicator(ctx, pending[0].IndicatorID)
	if ind.Value != "198.51.100.71" {
		t.Fatalf("pending event is %s's, want 198.51.100.71's", ind.Value)
	}
	if _, _, started := g.snapshot(); len(started) != 5 {
		t.Fatalf("started %d runs, want 5 (all but the failed one)", len(started))
	}
	broken.Lock()
	failing = false
	broken.Unlock()
	f.dispatch(t) // redelivery: a's run is deduped by its id, b's starts now
	_, _, started := g.snapshot()
	if len(started) != 6 {
		t.Fatalf("started %d runs, want 6: each playbook once per event", len(started))
	}
	for id, c := range g.calls { // only the redelivered event's two runs were asked twice
		if want := 1 + btoi(strings.HasSuffix(id, pending[0].ID)); c != want {
			t.Errorf("%s: %d start calls, want %d", id, c, want)
		}
	}
	if s := f.router.Stats(); s.Duplicates != 1 || s.Started != 6 {
		t.Errorf("stats = %+v, want 6 started and 1 duplicate (the redelivered event's run of a)", s)
	}
	if len(g.violations) != 0 {
		t.Fatalf("runs started after their event was marked dispatched: %v", g.violations)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
