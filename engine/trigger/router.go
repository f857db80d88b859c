package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/intel"
	"github.com/rampartsec/rampart/intel/store"
	"github.com/rampartsec/rampart/playbooks"
)

// DefaultMaxDepth bounds trigger depth: events deeper than this start no run.
const DefaultMaxDepth = 3

// Options configure a Router.
type Options struct {
	Store    *store.Store
	Starter  Starter
	Logger   *slog.Logger // nil: slog.Default()
	MaxDepth int          // 0: DefaultMaxDepth
	Batch    int          // events read per poll; 0: 100
	// MaxInFlight bounds the runs being started at once (the Starter's calls in flight);
	// 0: DefaultMaxInFlight. The runs of one event start highest priority first: a lower
	// priority's starts begin once the higher ones have started.
	MaxInFlight int
	Poll        time.Duration    // idle poll interval; 0: 250ms
	Now         func() time.Time // the clock for weights; nil: time.Now
	// LockTTL bounds how long a concurrency key stays held when the run's end is never
	// reported (store.ReleaseRunLock); 0: DefaultLockTTL.
	LockTTL time.Duration
	// Runs tells the router when a run holding a concurrency key has ended, so the key is
	// released (and a queued run may start). nil: the Starter, if it implements RunGetter.
	// Without one, keys are released by store.ReleaseRunLock or expire after LockTTL.
	Runs RunGetter
	// SweepEvery is how often held keys are checked against Runs; 0: 2s.
	SweepEvery time.Duration
	// KeepDispatched is how long dispatched events stay in the outbox (for inspection)
	// before the router prunes them, once an hour; 0: 7 days.
	KeepDispatched time.Duration
}

// DefaultMaxInFlight is how many runs the router starts at once unless Options.MaxInFlight
// says otherwise. Each start is a round trip to Temporal (tens of milliseconds on the
// embedded server): one at a time, the router cannot keep up with a few dozen events a second.
const DefaultMaxInFlight = 16

// DefaultLockTTL is how long a concurrency lock lasts unless released first.
const DefaultLockTTL = 24 * time.Hour

// Stats count what the router did since it started.
type Stats struct {
	Events     int64 // events dispatched
	Evaluated  int64 // `when` conditions evaluated
	Started    int64 // runs started
	Duplicates int64 // starts refused as already running (redeliveries)
	Skipped    int64 // playbooks skipped: `when` false, loop guard, depth, evaluation errors, a busy concurrency key
	Queued     int64 // runs queued behind a busy concurrency key
	Batched    int64 // indicators added to a batch
	Flushed    int64 // batches flushed (started, or dropped by `when`)
}

// Router dispatches outbox events to playbook runs. Run it in one goroutine; Notify wakes
// it after a write.
type Router struct {
	opts   Options
	log    *slog.Logger
	mu     sync.Mutex // guards ix
	ix     *index
	wake   chan struct{}
	swept  time.Time // when held keys were last checked
	pruned time.Time // when the outbox was last pruned
	stats  struct {
		events, evaluated, started, duplicates, skipped, queued, batched, flushed atomic.Int64
	}
}

// New returns a router.
func New(opts Options) (*Router, error) {
	if opts.Store == nil || opts.Starter == nil {
		return nil, errors.New("trigger: a store and a starter are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxDepth == 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	opts.MaxDepth = min(opts.MaxDepth, engine.MaxDepth) // the engine refuses deeper starts
	if opts.Batch == 0 {
		opts.Batch = 100
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.Poll == 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LockTTL == 0 {
		opts.LockTTL = DefaultLockTTL
	}
	if opts.Runs == nil {
		opts.Runs, _ = opts.Starter.(RunGetter)
	}
	if opts.SweepEvery == 0 {
		opts.SweepEvery = 2 * time.Second
	}
	if opts.KeepDispatched == 0 {
		opts.KeepDispatched = 7 * 24 * time.Hour
	}
	return &Router{opts: opts, log: opts.Logger, wake: make(chan struct{}, 1)}, nil
}

// Stats returns the counters.
func (r *Router) Stats() Stats {
	return Stats{Events: r.stats.events.Load(), Evaluated: r.stats.evaluated.Load(), Started: r.stats.started.Load(),
		Duplicates: r.stats.duplicates.Load(), Skipped: r.stats.skipped.Load(), Queued: r.stats.queued.Load(),
		Batched: r.stats.batched.Load(), Flushed: r.stats.flushed.Load()}
}

// Notify wakes the router (call it after writing indicators) so it need not wait a poll.
func (r *Router) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run dispatches until ctx is done. A failing dispatch is logged and retried after a poll.
func (r *Router) Run(ctx context.Context) error {
	t := time.NewTicker(r.opts.Poll)
	defer t.Stop()
	for {
		n, err := r.DispatchOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			r.log.Error("trigger: dispatch failed; will retry", "err", err)
		}
		if time.Since(r.pruned) > time.Hour {
			r.pruned = time.Now()
			if n, err := r.opts.Store.PruneOutbox(ctx, r.opts.Now().Add(-r.opts.KeepDispatched)); err != nil {
				r.log.Error("trigger: prune outbox", "err", err)
			} else if n > 0 {
				r.log.Debug("trigger: outbox pruned", "events", n)
			}
		}
		if n == r.opts.Batch && err == nil {
			continue // more are waiting
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-r.wake:
		}
	}
}

// DispatchOnce reads one batch of pending events and dispatches them; it returns how many
// were marked dispatched. The events are planned in order (visibility, `when`, priority,
// concurrency keys, batch items), then their runs are started concurrently, at most
// Options.MaxInFlight at a time, and the events whose runs all started are marked
// dispatched in one statement. An event with a start that failed stays pending and is
// redelivered; the runs of it that did start are deduped then by their workflow ids. A
// failure while planning (the store) stops the planning there: the events planned before
// it are still started and marked.
func (r *Router) DispatchOnce(ctx context.Context) (int, error) {
	ix, err := r.index(ctx)
	if err != nil {
		return 0, err
	}
	if err := r.sweepLocks(ctx); err != nil {
		return 0, err
	}
	if err := r.startQueued(ctx); err != nil {
		return 0, err
	}
	evs, err := r.opts.Store.PendingEvents(ctx, r.opts.Batch)
	if err != nil {
		return 0, err
	}
	plans := make([]plan, 0, len(evs))
	var perr error
	for _, ev := range evs {
		reqs, err := r.plan(ctx, ix, ev)
		if err != nil {
			perr = fmt.Errorf("trigger: event %s: %w", ev.ID, err)
			break
		}
		plans = append(plans, plan{id: ev.ID, reqs: reqs})
	}
	done, serr := r.startAll(ctx, plans)
	if err := r.opts.Store.MarkDispatched(ctx, done...); err != nil {
		return 0, errors.Join(perr, serr, err)
	}
	r.stats.events.Add(int64(len(done)))
	derr := errors.Join(perr, serr)
	if derr == nil {
		derr = r.flushBatches(ctx, ix)
	}
	return len(done), derr
}

// plan is the runs one event starts, highest priority first.
type plan struct {
	id   string // the event's
	reqs []engine.StartRequest
}

// startAll starts the runs of plans, at most Options.MaxInFlight at once, and returns the
// ids of the events whose runs all started (in the plans' order) and the errors of the
// others.
func (r *Router) startAll(ctx context.Context, plans []plan) ([]string, error) {
	sem := make(chan struct{}, r.opts.MaxInFlight)
	errs := make([]error, len(plans))
	var wg sync.WaitGroup
	for i := range plans {
		if len(plans[i].reqs) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.startEvent(ctx, sem, plans[i].reqs)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("trigger: event %s: %w", plans[i].id, errs[i])
			}
		}()
	}
	wg.Wait()
	done := make([]string, 0, len(plans))
	for i, p := range plans {
		if errs[i] == nil {
			done = append(done, p.id)
		}
	}
	return done, errors.Join(errs...)
}

// startEvent starts the runs of one event, sorted highest priority first: the runs of one
// priority start concurrently (sharing sem), a lower priority's once they have all started.
// It stops at the first priority with a failed start.
func (r *Router) startEvent(ctx context.Context, sem chan struct{}, reqs []engine.StartRequest) error {
	for len(reqs) > 0 {
		n := 1
		for n < len(reqs) && reqs[n].Priority == reqs[0].Priority {
			n++
		}
		group := reqs[:n]
		reqs = reqs[n:]
		errs := make([]error, len(group))
		var wg sync.WaitGroup
		for i := range group {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				continue
			}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				errs[i] = r.start(ctx, group[i])
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	return nil
}

// index returns the playbook index, rebuilt when the store's generation moved.
func (r *Router) index(ctx context.Context) (*index, error) {
	gen, err := r.opts.Store.Generation(ctx)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ix != nil && r.ix.generation == gen {
		return r.ix, nil
	}
	ix, err := buildIndex(ctx, r.opts.Store, gen, r.log)
	if err != nil {
		return nil, err
	}
	r.ix = ix
	r.log.Debug("trigger: index rebuilt", "generation", gen, "playbooks", ix.size)
	return ix, nil
}

// candidate is one run to start for an event.
type candidate struct {
	e        *entry
	priority int64
	ind      *playbooks.Indicator
	event    *playbooks.Event
	key      string // the rendered concurrency key, when the playbook has one
}

// plan decides the runs an event starts (in the order to start them) and does what must
// precede their starts in the store: batch items added, concurrency keys taken, runs queued
// behind a busy key.
func (r *Router) plan(ctx context.Context, ix *index, ev store.Event) ([]engine.StartRequest, error) {
	if ev.Depth > r.opts.MaxDepth {
		r.log.Warn("trigger: event deeper than the bound; no runs", "event", ev.ID, "depth", ev.Depth, "max", r.opts.MaxDepth)
		r.stats.skipped.Add(1)
		return nil, nil
	}
	ind, err := r.opts.Store.Indicator(ctx, ev.IndicatorID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var report *intel.Report
	if ev.ReportID != "" {
		for i := range ind.Reports {
			if ind.Reports[i].ID == ev.ReportID {
				report = &ind.Reports[i]
			}
		}
		if report == nil { // withdrawn since: nothing left to react to
			return nil, nil
		}
	}
	creatorOrg, creatorPlaybook := runCreator(ev.CreatedByRun)
	now := r.opts.Now()
	var events []string
	switch ev.Kind {
	case store.EventCreated:
		events = []string{"created"}
	case store.EventReported:
		events = []string{"created", "updated"}
	case store.EventUpdated:
		events = []string{"updated"}
	case store.EventSighted:
		events = []string{"sighted"}
	default:
		r.log.Warn("trigger: unknown event kind; ignored", "event", ev.ID, "kind", ev.Kind)
		return nil, nil
	}
	type orgView struct {
		ok    bool
		kind  string
		ind   *playbooks.Indicator
		event *playbooks.Event
	}
	views := map[string]*orgView{} // per organisation: computed once for all its playbooks
	var cands []candidate
	for _, evName := range events {
		for _, e := range ix.lookup(evName, ind.Type) {
			org := e.version.Org
			if org == creatorOrg && e.version.Name == creatorPlaybook {
				r.stats.skipped.Add(1) // the loop guard
				continue
			}
			ov, ok := views[org]
			if !ok {
				ov = &orgView{}
				views[org] = ov
				ov.kind, ov.ok = kindFor(e.viewer, ind, report, ev, now)
				if ov.ok {
					view, _ := ind.ViewFor(e.viewer, now)
					if !view.ExpiresAt.IsZero() && !view.ExpiresAt.After(now) {
						ov.ok = false // every report this organisation sees has expired: stale news
						r.stats.skipped.Add(1)
						continue
					}
					ov.ind = toPlaybook(view)
					ov.event = &playbooks.Event{ID: ev.ID, Kind: "indicator." + ov.kind, Org: actorFor(e.viewer, report, ev), Depth: ev.Depth}
				}
			}
			if !ov.ok || ov.kind != evName {
				continue
			}
			if e.pb.Trigger.Batch != nil { // `when` and `priority` read `indicators`: evaluated at the flush
				payload, err := json.Marshal(ov.ind)
				if err != nil {
					return nil, fmt.Errorf("batch item: %w", err)
				}
				if err := r.opts.Store.AddBatchItem(ctx, store.BatchItem{Org: org, Playbook: e.version.Name, EventID: ev.ID,
					IndicatorID: ind.ID, Payload: payload, Depth: ev.Depth}); err != nil {
					return nil, err
				}
				r.stats.batched.Add(1)
				continue
			}
			env := &playbooks.Env{Indicator: ov.ind, Event: ov.event}
			if e.pb.When != nil {
				r.stats.evaluated.Add(1)
				match, err := e.pb.When.Eval(env)
				if err != nil {
					r.log.Warn("trigger: `when` failed; playbook skipped", "org", org, "playbook", e.version.Name, "event", ev.ID, "err", err)
					r.stats.skipped.Add(1)
					continue
				}
				if !match {
					r.stats.skipped.Add(1)
					continue
				}
			}
			prio := int64(playbooks.DefaultPriority)
			if e.pb.Priority != nil {
				p, err := e.pb.Priority.Eval(env)
				if err != nil {
					r.log.Warn("trigger: `priority` failed; default used", "org", org, "playbook", e.version.Name, "err", err)
				} else {
					prio = min(max(p, 0), 100)
				}
			}
			c := candidate{e: e, priority: prio, ind: ov.ind, event: ov.event}
			if cc := e.pb.Concurrency; cc != nil && cc.Key != nil {
				penv := *env
				penv.Priority = prio
				k, err := cc.Key.Render(&penv)
				if err != nil {
					r.log.Warn("trigger: concurrency key failed; playbook skipped", "org", org, "playbook", e.version.Name, "err", err)
					r.stats.skipped.Add(1)
					continue
				}
				c.key = fmt.Sprint(k)
			}
			cands = append(cands, c)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].priority > cands[j].priority })
	reqs := make([]engine.StartRequest, 0, len(cands))
	for _, c := range cands {
		v := c.e.version
		req := engine.StartRequest{Org: v.Org, PlaybookName: v.Name, Version: v.Version, File: c.e.file, Source: v.Source,
			Trigger: engine.Trigger{Indicator: c.ind, Event: c.event}, Priority: int(c.priority), Depth: ev.Depth}
		id := workflowID(req)
		if cc := c.e.pb.Concurrency; cc != nil && cc.Key != nil {
			held, err := r.opts.Store.AcquireRunLock(ctx, v.Org, v.Name, c.key, id, r.opts.LockTTL)
			if err != nil {
				return nil, err
			}
			if !held {
				if cc.Policy == "queue" {
					payload, err := json.Marshal(req)
					if err != nil {
						return nil, fmt.Errorf("queue %s: %w", id, err)
					}
					if err := r.opts.Store.QueueRun(ctx, store.QueuedRun{WorkflowID: id, Org: v.Org,
						Playbook: v.Name, Key: c.key, Payload: payload}); err != nil {
						return nil, err
					}
					r.stats.queued.Add(1)
				} else {
					r.stats.skipped.Add(1)
				}
				continue
			}
		}
		reqs = append(reqs, req)
	}
	return reqs, nil
}

func (r *Router) start(ctx context.Context, req engine.StartRequest) error {
	_, started, err := r.opts.Starter.Start(ctx, req)
	var lint *engine.LintError
	if errors.As(err, &lint) { // it will never start: do not block the outbox on it
		r.log.Error("trigger: playbook does not compile for the engine; run not started", "org", req.Org,
			"playbook", req.PlaybookName, "version", req.Version, "err", err)
		r.stats.skipped.Add(1)
		return nil
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", workflowID(req), err)
	}
	if started {
		r.stats.started.Add(1)
	} else {
		r.stats.duplicates.Add(1)
	}
	return nil
}

// flushBatches seals the batches that are full or old enough and starts one run for each
// sealed batch.
func (r *Router) flushBatches(ctx context.Context, ix *index) error {
	open, err := r.opts.Store.OpenBatches(ctx)
	if err != nil {
		return err
	}
	now := r.opts.Now()
	for _, b := range open {
		size := 1
		e := ix.byName[b.Org+"/"+b.Playbook]
		if e != nil && e.pb.Trigger.Batch != nil {
			bt := e.pb.Trigger.Batch
			if b.Count < bt.MaxSize && now.Sub(b.Oldest) < bt.MaxWait {
				continue
			}
			size = bt.MaxSize
		} else {
			size = b.Count // no longer an enabled batch playbook: seal everything, dropped below
		}
		if _, err := r.opts.Store.SealBatch(ctx, b.Org, b.Playbook, size); err != nil {
			return err
		}
	}
	sealed, err := r.opts.Store.SealedBatches(ctx)
	if err != nil {
		return err
	}
	for _, b := range sealed {
		if err := r.startBatch(ctx, ix.byName[b.Org+"/"+b.Playbook], b); err != nil {
			return fmt.Errorf("trigger: batch %s of %s/%s: %w", b.ID, b.Org, b.Playbook, err)
		}
		if err := r.opts.Store.DeleteBatch(ctx, b.Org, b.Playbook, b.ID); err != nil {
			return err
		}
		r.stats.flushed.Add(1)
	}
	return nil
}

// startBatch starts the one run of a sealed batch; nil e (the playbook was disabled or lost
// its batch trigger) drops it.
func (r *Router) startBatch(ctx context.Context, e *entry, b store.SealedBatch) error {
	if e == nil || e.pb.Trigger.Batch == nil {
		r.log.Warn("trigger: batch of a playbook no longer enabled with a batch trigger; dropped", "org", b.Org, "playbook", b.Playbook, "items", len(b.Items))
		return nil
	}
	inds := make([]*playbooks.Indicator, 0, len(b.Items))
	depth := 0
	for _, it := range b.Items {
		var ind playbooks.Indicator
		if err := json.Unmarshal(it.Payload, &ind); err != nil {
			return fmt.Errorf("item %s: %w", it.EventID, err)
		}
		inds = append(inds, &ind)
		depth = max(depth, it.Depth)
	}
	ev := &playbooks.Event{ID: b.ID, Kind: "indicator.batch", Depth: depth}
	env := &playbooks.Env{Indicators: inds, Event: ev}
	if e.pb.When != nil {
		r.stats.evaluated.Add(1)
		ok, err := e.pb.When.Eval(env)
		if err != nil || !ok {
			if err != nil {
				r.log.Warn("trigger: `when` failed on a batch; dropped", "org", b.Org, "playbook", b.Playbook, "err", err)
			}
			r.stats.skipped.Add(1)
			return nil
		}
	}
	prio := int64(playbooks.DefaultPriority)
	if e.pb.Priority != nil {
		if p, err := e.pb.Priority.Eval(env); err == nil {
			prio = min(max(p, 0), 100)
		} else {
			r.log.Warn("trigger: `priority` failed on a batch; default used", "org", b.Org, "playbook", b.Playbook, "err", err)
		}
	}
	v := e.version
	return r.start(ctx, engine.StartRequest{Org: v.Org, PlaybookName: v.Name, Version: v.Version, File: e.file, Source: v.Source,
		Trigger: engine.Trigger{Indicators: inds, Event: ev}, Priority: int(prio), Depth: depth})
}

// sweepLocks releases the concurrency keys of runs that have ended. The runs are checked
// concurrently (at most Options.MaxInFlight at once), with RunEnder's cheaper check when
// Runs has it.
func (r *Router) sweepLocks(ctx context.Context) error {
	if r.opts.Runs == nil || time.Since(r.swept) < r.opts.SweepEvery {
		return nil
	}
	r.swept = time.Now()
	locks, err := r.opts.Store.HeldLocks(ctx, 1000)
	if err != nil {
		return err
	}
	ender, _ := r.opts.Runs.(RunEnder)
	ended := make([]bool, len(locks))
	sem := make(chan struct{}, r.opts.MaxInFlight)
	var wg sync.WaitGroup
	for i, l := range locks {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if ender != nil {
				done, err := ender.Ended(ctx, l.WorkflowID)
				if err != nil {
					r.log.Debug("trigger: cannot read a run holding a key", "workflow", l.WorkflowID, "err", err)
				}
				ended[i] = err == nil && done
				return
			}
			run, err := r.opts.Runs.Get(ctx, l.WorkflowID)
			if err != nil {
				r.log.Debug("trigger: cannot read a run holding a key", "workflow", l.WorkflowID, "err", err)
				return
			}
			ended[i] = run.Done()
		}()
	}
	wg.Wait()
	for i, l := range locks {
		if ended[i] {
			if err := r.opts.Store.ReleaseRunLock(ctx, l.WorkflowID); err != nil {
				return err
			}
		}
	}
	return nil
}

// startQueued starts the queued runs whose concurrency key has come free.
func (r *Router) startQueued(ctx context.Context) error {
	ready, err := r.opts.Store.ReadyRuns(ctx, r.opts.Batch)
	if err != nil {
		return err
	}
	for _, q := range ready {
		held, err := r.opts.Store.AcquireRunLock(ctx, q.Org, q.Playbook, q.Key, q.WorkflowID, r.opts.LockTTL)
		if err != nil {
			return err
		}
		if !held {
			continue
		}
		var req engine.StartRequest
		if err := json.Unmarshal(q.Payload, &req); err != nil {
			r.log.Error("trigger: queued run unreadable; dropped", "workflow", q.WorkflowID, "err", err)
		} else if err := r.start(ctx, req); err != nil {
			return err
		}
		if err := r.opts.Store.DequeueRun(ctx, q.WorkflowID); err != nil {
			return err
		}
	}
	return nil
}

// kindFor decides whether the organisation of viewer v is told of the event, and as what:
// created, updated or sighted.
func kindFor(v intel.Viewer, ind *intel.Indicator, report *intel.Report, ev store.Event, now time.Time) (string, bool) {
	switch ev.Kind {
	case store.EventSighted:
		_, ok := ind.ViewFor(v, now)
		return "sighted", ok
	}
	if !intel.CanSee(v, report.Visibility()) {
		return "", false
	}
	switch ev.Kind {
	case store.EventCreated:
		return "created", true
	case store.EventUpdated:
		return "updated", true
	default: // EventReported: news to an organisation that could not see the indicator before
		if _, before := ind.ViewForBefore(v, now, report.ID); before {
			return "updated", true
		}
		return "created", true
	}
}

// actorFor is event.org as v may see it: the reporting organisation if attributed, its
// pseudonym if pseudonymous, "" if anonymous; for a sighting, only v's own.
func actorFor(v intel.Viewer, report *intel.Report, ev store.Event) string {
	if report == nil {
		if ev.Org == v.Org {
			return ev.Org
		}
		return ""
	}
	rv, ok := intel.RedactReport(v, report)
	if !ok {
		return ""
	}
	return rv.Owner
}

// runCreator returns the organisation and playbook of the run that created an object.
func runCreator(runID string) (org, playbook string) {
	if runID == "" {
		return "", ""
	}
	org, pv, _, ok := engine.ParseWorkflowID(runID)
	if !ok {
		return "", ""
	}
	name, _, _ := strings.Cut(pv, "@")
	return org, name
}

// toPlaybook converts a view into what expressions see as `indicator`.
func toPlaybook(v intel.View) *playbooks.Indicator {
	return &playbooks.Indicator{
		ID: v.ID, Type: string(v.Type), Value: v.Value, TLP: string(v.TLP),
		Confidence: int64(v.Confidence), ThreatRating: int64(v.ThreatRating), Tags: v.Tags,
		Description: v.Description, Owner: v.Owner, Attribution: string(v.Attribution), Source: string(v.Source),
		FirstSeen: v.FirstSeen, LastSeen: v.LastSeen, ExpiresAt: v.ExpiresAt,
		Sightings: v.Sightings, FalsePositives: v.FalsePositives, Reporters: int64(v.Reporters),
		Weight: v.Weight, Warninglists: v.Warninglists, CreatedByRun: v.CreatedByRun,
	}
}
