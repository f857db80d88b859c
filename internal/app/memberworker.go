package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/engine/devserver"
	"github.com/rampartsec/rampart/engine/guard"
	"github.com/rampartsec/rampart/engine/temporalconn"
	"github.com/rampartsec/rampart/intel/store"
	"github.com/rampartsec/rampart/internal/config"
)

// WorkerOptions configure a member-side worker.
type WorkerOptions struct {
	Config config.Config
	Orgs   []string // the organisations whose action queues it polls
	Logger *slog.Logger
	Ready  func() // called once polling
}

// RunWorker polls only the named organisations' action queues until ctx is done: the
// process a member runs on its own network, beside its firewalls, so their credentials (the
// connections in this data directory) never leave it. It reaches the Temporal cluster at
// the configured address, or the embedded server a `rampart serve` runs on the same data
// directory.
func RunWorker(ctx context.Context, opts WorkerOptions) error {
	cfg, log := opts.Config, opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(opts.Orgs) == 0 {
		return fmt.Errorf("worker: name the organisation whose actions to run (--org)")
	}
	addr, ns := cfg.Temporal.Address, cfg.Temporal.Namespace
	if addr == "" {
		a, n, ok := devserver.Running(cfg.Data)
		if !ok {
			return fmt.Errorf("worker: no Temporal server: set --temporal-address (RAMPART_TEMPORAL_ADDRESS), or run `rampart serve` on --data %s", cfg.Data)
		}
		addr, ns = a, n
	}
	st, err := store.OpenDir(ctx, cfg.Data)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer st.Close()
	m, err := manager.Open(ctx, cfg.Data, manager.Options{Logger: log})
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer m.Close()
	if err := installBundled(ctx, m, cfg.Plugins.Dir, log); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	tc, err := temporalconn.Dial(ctx, temporalconn.Options{Address: addr, Namespace: ns, TLS: cfg.Temporal.ClientTLS(), Logger: log})
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer tc.Close()
	w, err := engine.NewWorker(tc, engine.WorkerOptions{Orgs: opts.Orgs, Executor: guard.New(m, st.Warninglists())})
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer w.Stop()
	log.Info("worker polling", "orgs", opts.Orgs, "temporal", addr)
	if opts.Ready != nil {
		opts.Ready()
	}
	<-ctx.Done()
	return nil
}
