package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	tclient "go.temporal.io/sdk/client"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/intel/store"
)

// orgWorkers is the all-in-one process's engine workers: the workflow queue and the action
// queue of every organisation, including those added while it runs (`rampart admin org
// add` beside a running serve), which watch picks up.
type orgWorkers struct {
	tc   tclient.Client
	st   *store.Store
	exec actions.Executor
	log  *slog.Logger

	mu      sync.Mutex
	polled  map[string]bool
	workers []*engine.Worker
}

func startWorkers(ctx context.Context, tc tclient.Client, st *store.Store, exec actions.Executor, log *slog.Logger) (*orgWorkers, error) {
	w := &orgWorkers{tc: tc, st: st, exec: exec, log: log, polled: map[string]bool{}}
	wf, err := engine.NewWorker(tc, engine.WorkerOptions{Workflows: true, Playbooks: playbookSource{st}})
	if err != nil {
		return nil, err
	}
	if err := wf.Start(); err != nil {
		return nil, err
	}
	w.workers = append(w.workers, wf)
	if err := w.addNew(ctx); err != nil {
		w.stop()
		return nil, err
	}
	return w, nil
}

// addNew starts workers for the organisations not polled yet.
func (w *orgWorkers) addNew(ctx context.Context) error {
	orgs, err := w.st.ListOrgs(ctx)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var fresh []string
	for _, o := range orgs {
		if !w.polled[o.ID] {
			fresh = append(fresh, o.ID)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	ow, err := engine.NewWorker(w.tc, engine.WorkerOptions{Orgs: fresh, Executor: w.exec})
	if err != nil {
		return err
	}
	if err := ow.Start(); err != nil {
		return err
	}
	w.workers = append(w.workers, ow)
	for _, o := range fresh {
		w.polled[o] = true
	}
	w.log.Info("polling organisations' action queues", "orgs", fresh)
	return nil
}

// watch adds workers for new organisations every interval until ctx is done.
func (w *orgWorkers) watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := w.addNew(ctx); err != nil && ctx.Err() == nil {
				w.log.Warn("could not start workers for new organisations", "err", err)
			}
		}
	}
}

func (w *orgWorkers) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ww := range w.workers {
		ww.Stop()
	}
	w.workers = nil
}

// playbookSource resolves `call` steps to the callee's latest version in the store.
type playbookSource struct{ st *store.Store }

func (p playbookSource) Latest(ctx context.Context, org, name string) (engine.CalledPlaybook, error) {
	pb, err := p.st.GetPlaybook(ctx, org, name)
	if errors.Is(err, store.ErrNotFound) {
		return engine.CalledPlaybook{}, fmt.Errorf("playbook %s of %s: %w", name, org, engine.ErrNoPlaybook)
	}
	if err != nil {
		return engine.CalledPlaybook{}, err
	}
	v, err := p.st.GetPlaybookVersion(ctx, org, name, pb.Latest)
	if err != nil {
		return engine.CalledPlaybook{}, err
	}
	return engine.CalledPlaybook{Version: v.Version, File: name + ".yaml", Source: v.Source}, nil
}
