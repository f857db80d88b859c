package trigger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/store"
	"github.com/rampartsec/rampart/internal/sqlitedb"
	"github.com/rampartsec/rampart/playbooks"
)

// recorder is a fake Starter: it records requests and dedupes workflow ids as Temporal's
// reject-duplicate policy does. failAfter > 0 makes the n-th new start fail.
type recorder struct {
	mu        sync.Mutex
	reqs      []engine.StartRequest
	ids       map[string]bool
	failAfter int
	starts    int
	done      map[string]bool // runs that have ended
}

// Get makes the recorder a RunGetter: runs are running until marked done.
func (r *recorder) Get(_ context.Context, id string) (*engine.Run, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ids[id] {
		return nil, errors.New("no such run")
	}
	if r.done[id] {
		return &engine.Run{ID: id, Status: engine.RunSucceeded}, nil
	}
	return &engine.Run{ID: id, Status: engine.RunRunning}, nil
}

func (r *recorder) Start(_ context.Context, req engine.StartRequest) (string, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids == nil {
		r.ids = map[string]bool{}
	}
	id := workflowID(req)
	if r.ids[id] {
		return id, false, nil
	}
	r.starts++
	if r.failAfter > 0 && r.starts == r.failAfter {
		return "", false, errors.New("temporal unavailable")
	}
	r.ids[id] = true
	r.reqs = append(r.reqs, req)
	return id, true, nil
}

// started returns "org/playbook" of every recorded start, in order.
func (r *recorder) started() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, q := range r.reqs {
		out = append(out, q.Org+"/"+q.PlaybookName)
	}
	return out
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.reqs = nil
	r.mu.Unlock()
}

type fixture struct {
	st                *store.Store
	rec               *recorder
	router            *Router
	acme, beta, gamma intel.Viewer
	group             string
	clock             time.Time // the store's and the router's clock
}

const now0 = "2026-03-01T12:00:00Z"

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), sqlitedb.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{rec: &recorder{}}
	f.clock, _ = time.Parse(time.RFC3339, now0)
	now := func() time.Time { return f.clock }
	st, err := store.Open(ctx, db, store.Options{Key: []byte("0123456789abcdef0123456789abcdef"), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	f.st = st
	for _, o := range []string{"acme", "beta", "gamma"} {
		if _, err := st.CreateOrg(ctx, o, o); err != nil {
			t.Fatal(err)
		}
	}
	g, err := st.CreateGroup(ctx, "acme", "finance", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddGroupMember(ctx, g.ID, "beta"); err != nil {
		t.Fatal(err)
	}
	f.group = g.ID
	f.acme, _ = st.ViewerForOrg(ctx, "acme")
	f.beta, _ = st.ViewerForOrg(ctx, "beta")
	f.gamma, _ = st.ViewerForOrg(ctx, "gamma")
	f.router, err = New(Options{Store: st, Starter: f.rec, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// playbook stores and enables an indicator playbook.
func (f *fixture) playbook(t testing.TB, org, name, on, when, priority string) {
	t.Helper()
	f.playbookExtra(t, org, name, on, when, priority, "")
}

// playbookExtra is playbook with extra top-level YAML (a concurrency block).
func (f *fixture) playbookExtra(t testing.TB, org, name, on, when, priority, extra string) {
	t.Helper()
	src := fmt.Sprintf("name: %s\non:\n  indicator:\n%s\n", name, on) + extra
	if when != "" {
		src += "when: " + when + "\n"
	}
	if priority != "" {
		src += "priority: " + priority + "\n"
	}
	src += "steps:\n  - id: log\n    uses: core/log\n    with:\n      message: \"${{ event.id }}\"\n"
	pb, diags := playbooks.Compile(name+".yaml", []byte(src), playbooks.Options{})
	if pb == nil || diags.HasErrors() {
		t.Fatalf("playbook %s does not compile: %v\n%s", name, diags, src)
	}
	sum := sha256.Sum256([]byte(src))
	ctx := context.Background()
	if _, _, err := f.st.SavePlaybook(ctx, store.PlaybookVersion{Org: org, Name: name, Source: []byte(src),
		Hash: hex.EncodeToString(sum[:]), TriggerKind: string(pb.Trigger.Kind), Types: pb.Trigger.Types, Events: pb.Trigger.Events}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetPlaybookEnabled(ctx, org, name, true); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) report(t testing.TB, v intel.Viewer, in intel.Input) store.CreateResult {
	t.Helper()
	res, _, err := f.st.CreateIndicator(context.Background(), v, in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fixture) dispatch(t testing.TB) {
	t.Helper()
	if _, err := f.router.DispatchOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.st.PendingCount(context.Background()); n != 0 {
		t.Fatalf("%d events still pending after a successful dispatch", n)
	}
}

const ipTypes = "    types: [ipv4]"

func TestRouterStartsOnlyPlaybooksWhoseOrgMaySee(t *testing.T) {
	tests := []struct {
		name  string
		in    intel.Input
		by    string // acme or beta
		want  []string
		owner string // indicator.owner as the first started run sees it
	}{
		{"owner only", intel.Input{Value: "198.51.100.1", Scope: intel.ScopeOwner}, "acme",
			[]string{"acme/block"}, "acme"},
		{"sharing group, amber+strict", intel.Input{Value: "198.51.100.2", TLP: "amber+strict", Scope: intel.ScopeGroups, Groups: []string{"G"}}, "acme",
			[]string{"acme/block", "beta/block"}, "acme"},
		{"red to a group", intel.Input{Value: "198.51.100.3", TLP: "red", Scope: intel.ScopeGroups, Groups: []string{"G"}}, "acme",
			[]string{"acme/block", "beta/block"}, "acme"},
		{"community amber", intel.Input{Value: "198.51.100.4", TLP: "amber"}, "acme",
			[]string{"acme/block", "beta/block", "gamma/block"}, "acme"},
		{"red kept to the owner", intel.Input{Value: "198.51.100.5", TLP: "red", Scope: intel.ScopeOwner}, "acme",
			[]string{"acme/block"}, "acme"},
	}
	f := newFixture(t)
	for _, org := range []string{"acme", "beta", "gamma"} {
		f.playbook(t, org, "block", ipTypes, "", "")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.rec.reset()
			in := tt.in
			if len(in.Groups) > 0 {
				in.Groups = []string{f.group}
			}
			v := f.acme
			if tt.by == "beta" {
				v = f.beta
			}
			res := f.report(t, v, in)
			f.dispatch(t)
			got := f.rec.started()
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("started %v, want %v", got, tt.want)
			}
			for _, q := range f.rec.reqs {
				wantID := fmt.Sprintf("%s/block@1/%s", q.Org, res.EventID)
				if workflowID(q) != wantID {
					t.Errorf("workflow id %q, want %q", workflowID(q), wantID)
				}
				if q.Trigger.Indicator.Owner != tt.owner || q.Trigger.Event.Kind != "indicator.created" {
					t.Errorf("trigger = %+v / %+v", q.Trigger.Indicator, q.Trigger.Event)
				}
			}
		})
	}
}

func TestRouterKeepsAnonymousAndPseudonymousContributors(t *testing.T) {
	f := newFixture(t)
	f.playbook(t, "beta", "watch", ipTypes, "", "")
	ctx := context.Background()
	acme, _ := f.st.GetOrg(ctx, "acme")

	f.report(t, f.acme, intel.Input{Value: "192.0.2.77", Attribution: intel.Anonymous})
	f.report(t, f.acme, intel.Input{Value: "192.0.2.78", Attribution: intel.Pseudonymous})
	f.dispatch(t)
	if len(f.rec.reqs) != 2 {
		t.Fatalf("started %v, want two runs", f.rec.started())
	}
	anon, pseudo := f.rec.reqs[0].Trigger, f.rec.reqs[1].Trigger
	if anon.Indicator.Value != "192.0.2.77" { // the events' runs start concurrently: in either order
		anon, pseudo = pseudo, anon
	}
	if anon.Indicator.Owner != "" || anon.Event.Org != "" || anon.Indicator.Attribution != "anonymous" {
		t.Errorf("anonymous contributor leaked: indicator %+v event %+v", anon.Indicator, anon.Event)
	}
	if pseudo.Indicator.Owner != acme.Pseudonym || pseudo.Event.Org != acme.Pseudonym {
		t.Errorf("pseudonymous owner = %q / %q, want the pseudonym %q", pseudo.Indicator.Owner, pseudo.Event.Org, acme.Pseudonym)
	}
}

func TestRouterEvaluatesWhenAndOrdersByPriority(t *testing.T) {
	f := newFixture(t)
	f.playbook(t, "beta", "low", ipTypes, "", "10")
	f.playbook(t, "beta", "high", ipTypes, "indicator.confidence >= 70", "indicator.threat_rating * 20")
	f.playbook(t, "beta", "never", ipTypes, `'"benign" in indicator.tags'`, "")
	f.playbook(t, "beta", "domains", "    types: [domain]", "", "")
	f.report(t, f.acme, intel.Input{Value: "203.0.113.9", Confidence: ptr(90), ThreatRating: ptr(4)})
	f.dispatch(t)
	if got := f.rec.started(); !slices.Equal(got, []string{"beta/high", "beta/low"}) {
		t.Fatalf("started %v, want [beta/high beta/low]", got)
	}
	if p := f.rec.reqs[0].Priority; p != 80 {
		t.Errorf("priority = %d, want 80", p)
	}
	if s := f.router.Stats(); s.Evaluated != 2 || s.Started != 2 {
		t.Errorf("stats = %+v, want 2 evaluated, 2 started", s)
	}
}

func TestRouterCreatedVersusUpdatedPerOrganisation(t *testing.T) {
	f := newFixture(t)
	f.playbook(t, "beta", "on-created", ipTypes, "", "")
	f.playbook(t, "beta", "on-updated", "    types: [ipv4]\n    events: [updated]", "", "")
	f.playbook(t, "gamma", "on-created", ipTypes, "", "")
	// acme shares with the finance group (beta): beta hears "created", gamma nothing.
	f.report(t, f.acme, intel.Input{Value: "198.51.100.20", Scope: intel.ScopeGroups, Groups: []string{f.group}})
	f.dispatch(t)
	if got := f.rec.started(); !slices.Equal(got, []string{"beta/on-created"}) {
		t.Fatalf("first report started %v", got)
	}
	// gamma reports the same value to the community: new to itself ("created"), known to beta ("updated").
	f.rec.reset()
	f.report(t, f.gamma, intel.Input{Value: "198.51.100.20"})
	f.dispatch(t)
	got := f.rec.started()
	slices.Sort(got)
	if !slices.Equal(got, []string{"beta/on-updated", "gamma/on-created"}) {
		t.Fatalf("second report started %v, want [beta/on-updated gamma/on-created]", got)
	}
	for _, q := range f.rec.reqs {
		if q.Org == "beta" && (q.Trigger.Indicator.Reporters != 2 || q.Trigger.Event.Kind != "indicator.updated") {
			t.Errorf("beta sees %+v", q.Trigger)
		}
		if q.Org == "gamma" && q.Trigger.Indicator.Reporters != 1 {
			t.Errorf("gamma sees %d reporters, want 1 (acme's report is not shared with it)", q.Trigger.Indicator.Reporters)
		}
	}
}

func TestRouterLoopGuardAndDepth(t *testing.T) {
	f := newFixture(t)
	f.playbook(t, "acme", "enrich", ipTypes, "", "")
	f.playbook(t, "beta", "block", ipTypes, "", "")
	// An indicator acme/enrich's run made does not trigger acme/enrich again.
	f.report(t, f.acme, intel.Input{Value: "198.51.100.30", CreatedByRun: "acme/enrich@1/0123", Depth: 1})
	f.dispatch(t)
	if got := f.rec.started(); !slices.Equal(got, []string{"beta/block"}) {
		t.Fatalf("started %v, want only beta/block", got)
	}
	if by := f.rec.reqs[0].Trigger.Event.Depth; by != 1 {
		t.Errorf("event depth = %d, want 1", by)
	}
	// Past the depth bound nothing runs, and the event is still consumed.
	f.rec.reset()
	f.report(t, f.acme, intel.Input{Value: "198.51.100.31", CreatedByRun: "acme/other@1/0456", Depth: DefaultMaxDepth + 1})
	f.dispatch(t)
	if got := f.rec.started(); len(got) != 0 {
		t.Fatalf("a too-deep event started %v", got)
	}
}

func TestRouterRedeliversUntilEveryRunStarted(t *testing.T) {
	f := newFixture(t)
	f.playbook(t, "acme", "a", ipTypes, "", "")
	f.playbook(t, "beta", "b", ipTypes, "", "")
	f.rec.failAfter = 2 // the second start fails, as if Temporal went away mid-event
	f.report(t, f.acme, intel.Input{Value: "198.51.100.40"})
	ctx := context.Background()
	if _, err := f.router.DispatchOnce(ctx); err == nil {
		t.Fatal("a failed start was not reported")
	}
	if n, _ := f.st.PendingCount(ctx); n != 1 {
		t.Fatalf("pending = %d, want the event kept for redelivery", n)
	}
	f.dispatch(t) // redelivery: the run started before is deduped by its workflow id
	if got := f.rec.started(); len(got) != 2 {
		t.Fatalf("started %v, want each playbook once", got)
	}
	if s := f.router.Stats(); s.Duplicates != 1 {
		t.Errorf("duplicates = %d, want 1", s.Duplicates)
	}
}

func TestRouterRebuildsIndexWhenPlaybooksChange(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.playbook(t, "beta", "b", ipTypes, "", "")
	f.report(t, f.acme, intel.Input{Value: "198.51.100.50"})
	f.dispatch(t)
	if err := f.st.SetPlaybookEnabled(ctx, "beta", "b", false); err != nil {
		t.Fatal(err)
	}
	f.rec.reset()
	f.report(t, f.acme, intel.Input{Value: "198.51.100.51"})
	f.dispatch(t)
	if got := f.rec.started(); len(got) != 0 {
		t.Fatalf("a disabled playbook started: %v", got)
	}
	// Sightings reach playbooks that listen for them, as the organisation sees the indicator.
	f.playbook(t, "beta", "sighted", "    types: [ipv4]\n    events: [sighted]", "indicator.sightings >= 1", "")
	view, err := f.st.FindIndicator(ctx, f.beta, "", "198.51.100.51")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddSighting(ctx, f.gamma, view.ID, store.SightingInput{}); err != nil {
		t.Fatal(err)
	}
	f.dispatch(t)
	if got := f.rec.started(); !slices.Equal(got, []string{"beta/sighted"}) {
		t.Fatalf("started %v, want [beta/sighted]", got)
	}
	if org := f.rec.reqs[0].Trigger.Event.Org; org != "" {
		t.Errorf("a sighting by gamma is shown to beta as by %q", org)
	}
	// A sighting a run of beta/sighted reports does not trigger beta/sighted again.
	run := workflowID(f.rec.reqs[0])
	f.rec.reset()
	if _, err := f.st.AddSighting(ctx, f.beta, view.ID, store.SightingInput{CreatedByRun: run, Depth: 1}); err != nil {
		t.Fatal(err)
	}
	f.dispatch(t)
	if got := f.rec.started(); len(got) != 0 {
		t.Fatalf("a run's own sighting re-triggered it: %v", got)
	}
}

func TestRouterRunLoopWakesOnNotify(t *testing.T) {
	f := newFixture(t)
	f.router.opts.Poll = time.Hour // only Notify can wake it
	f.playbook(t, "beta", "b", ipTypes, "", "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.router.Run(ctx) }()
	f.report(t, f.acme, intel.Input{Value: "198.51.100.99"})
	f.router.Notify()
	deadline := time.Now().Add(10 * time.Second)
	for len(f.rec.started()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		f.router.Notify()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if got := f.rec.started(); !slices.Equal(got, []string{"beta/b"}) {
		t.Fatalf("started %v", got)
	}
}

func ptr[T any](v T) *T { return &v }

func TestRouterConcurrencyKeys(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	on := "    types: [ipv4]\n    events: [created, updated]"
	f.playbookExtra(t, "beta", "skipper", on, "", "", "concurrency:\n  key: ${{ indicator.value }}\n  policy: skip\n")
	f.playbookExtra(t, "beta", "queuer", on, "", "", "concurrency:\n  key: ${{ indicator.value }}\n  policy: queue\n")

	f.report(t, f.acme, intel.Input{Value: "198.51.100.90"})
	f.dispatch(t)
	if got := f.rec.started(); len(got) != 2 {
		t.Fatalf("first event started %v, want both playbooks", got)
	}
	first := map[string]string{}
	for _, q := range f.rec.reqs {
		first[q.PlaybookName] = workflowID(q)
	}
	// A second event on the same value while both runs hold the key: skip drops it, queue keeps it.
	f.rec.reset()
	f.report(t, f.gamma, intel.Input{Value: "198.51.100.90"})
	f.dispatch(t)
	if got := f.rec.started(); len(got) != 0 {
		t.Fatalf("runs started while the key was held: %v", got)
	}
	if s := f.router.Stats(); s.Queued != 1 {
		t.Fatalf("queued = %d, want 1", s.Queued)
	}
	// Another value is another key.
	f.report(t, f.acme, intel.Input{Value: "198.51.100.91"})
	f.dispatch(t)
	if got := f.rec.started(); len(got) != 2 {
		t.Fatalf("a different key started %v, want both playbooks", got)
	}
	// When the queuer's first run ends, its queued run starts; the skipped one never does.
	f.rec.reset()
	if err := f.st.ReleaseRunLock(ctx, first["queuer"]); err != nil {
		t.Fatal(err)
	}
	f.dispatch(t)
	if got := f.rec.started(); !slices.Equal(got, []string{"beta/queuer"}) {
		t.Fatalf("after release started %v, want [beta/queuer]", got)
	}
	if q := f.rec.reqs[0]; workflowID(q) == first["queuer"] || q.Trigger.Indicator.Value != "198.51.100.90" {
		t.Fatalf("the queued run is %+v", q)
	}
	f.rec.reset()
	f.dispatch(t)
	if got := f.rec.started(); len(got) != 0 {
		t.Fatalf("the queue ran twice: %v", got)
	}
}

func TestRouterReleasesKeysOfEndedRuns(t *testing.T) {
	f := newFixture(t)
	f.router.opts.SweepEvery = time.Nanosecond
	f.playbookExtra(t, "beta", "skipper", "    types: [ipv4]\n    events: [created, updated]", "", "",
		"concurrency:\n  key: ${{ indicator.value }}\n  policy: skip\n")
	f.report(t, f.acme, intel.Input{Value: "198.51.100.95"})
	f.dispatch(t)
	f.report(t, f.gamma, intel.Input{Value: "198.51.100.95"})
	f.dispatch(t)
	if got := f.rec.started(); len(got) != 1 {
		t.Fatalf("started %v while the first run holds the key", got)
	}
	f.rec.mu.Lock()
	f.rec.done = map[string]bool{workflowID(f.rec.reqs[0]): true}
	f.rec.mu.Unlock()
	f.report(t, f.beta, intel.Input{Value: "198.51.100.95"})
	f.dispatch(t)
	if got := f.rec.started(); len(got) != 2 {
		t.Fatalf("started %v; the ended run's key was not released", got)
	}
}

func TestRouterBatches(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.playbook(t, "beta", "bulk", "    types: [ipv4]\n    batch: {max_size: 3, max_wait: 30s}",
		"'indicators.exists(i, i.confidence >= 50)'", "size(indicators) * 10")
	var events []string
	for i := 0; i < 2; i++ {
		events = append(events, f.report(t, f.acme, intel.Input{Value: fmt.Sprintf("198.51.100.%d", 100+i)}).EventID)
	}
	f.report(t, f.gamma, intel.Input{Value: "198.51.100.150", Scope: intel.ScopeOwner}) // beta may not see it
	f.dispatch(t)
	if got := f.rec.started(); len(got) != 0 {
		t.Fatalf("a batch of 2 (max 3) started early: %v", got)
	}
	f.report(t, f.acme, intel.Input{Value: "198.51.100.102"})
	f.dispatch(t)
	if got := f.rec.started(); !slices.Equal(got, []string{"beta/bulk"}) {
		t.Fatalf("a full batch started %v", got)
	}
	q := f.rec.reqs[0]
	if workflowID(q) != "beta/bulk@1/b-"+events[0] || len(q.Trigger.Indicators) != 3 || q.Trigger.Indicator != nil || q.Priority != 30 {
		t.Fatalf("batch run: id %s, %d indicators, priority %d", workflowID(q), len(q.Trigger.Indicators), q.Priority)
	}
	for _, ind := range q.Trigger.Indicators {
		if ind.Value == "198.51.100.150" {
			t.Fatal("an indicator beta may not see went into its batch")
		}
	}
	// A lone indicator waits for max_wait; a failed start is retried from the sealed batch.
	f.rec.reset()
	f.report(t, f.acme, intel.Input{Value: "198.51.100.103"})
	f.dispatch(t)
	if len(f.rec.started()) != 0 {
		t.Fatal("a batch of one started before max_wait")
	}
	f.clock = f.clock.Add(31 * time.Second)
	f.rec.failAfter = f.rec.starts + 1
	if _, err := f.router.DispatchOnce(ctx); err == nil {
		t.Fatal("a failed batch start was not reported")
	}
	f.rec.failAfter = 0
	f.dispatch(t)
	if got := f.rec.started(); len(got) != 1 || len(f.rec.reqs[0].Trigger.Indicators) != 1 {
		t.Fatalf("after max_wait started %v", got)
	}
	f.rec.reset()
	f.dispatch(t)
	if len(f.rec.started()) != 0 {
		t.Fatal("a batch started twice")
	}
	if s := f.router.Stats(); s.Batched != 4 || s.Flushed != 2 {
		t.Fatalf("stats %+v: want 4 batched, 2 flushed", s)
	}
}

func TestRouterIgnoresExpiredIndicators(t *testing.T) {
	f := newFixture(t)
	f.playbook(t, "beta", "b", ipTypes, "", "")
	// An import of old intelligence: it expired before it arrived.
	f.report(t, f.acme, intel.Input{Value: "198.51.100.120", Source: intel.SourceImport,
		FirstSeen: f.clock.Add(-60 * 24 * time.Hour), ExpiresAt: f.clock.Add(-30 * 24 * time.Hour)})
	f.report(t, f.acme, intel.Input{Value: "198.51.100.121", ExpiresAt: f.clock.Add(time.Hour)})
	f.dispatch(t)
	if got := f.rec.started(); len(got) != 1 || f.rec.reqs[0].Trigger.Indicator.Value != "198.51.100.121" {
		t.Fatalf("started %v, want only the unexpired indicator", got)
	}
}
