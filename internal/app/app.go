package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	enumspb "go.temporal.io/api/enums/v1"
	tclient "go.temporal.io/sdk/client"

	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/engine/devserver"
	"github.com/rampartsec/rampart/engine/guard"
	"github.com/rampartsec/rampart/engine/temporalconn"
	"github.com/rampartsec/rampart/engine/trigger"
	"github.com/rampartsec/rampart/intel/store"
	"github.com/rampartsec/rampart/internal/config"
	"github.com/rampartsec/rampart/server"
)

// Options are what Serve needs beyond the configuration.
type Options struct {
	Config  config.Config
	Stdout  io.Writer // the admin token and the listening address
	Logger  *slog.Logger
	Version string
	// Ready, when set, receives the API's address once it accepts connections.
	Ready func(addr string)
}

// App is a running all-in-one Rampart.
type App struct {
	cfg     config.Config
	log     *slog.Logger
	st      *store.Store
	mgr     *manager.Manager
	dev     *devserver.Server
	tc      tclient.Client
	eng     *engine.Client
	workers *orgWorkers
	router  *trigger.Router
	api     *server.Server
	ln      net.Listener
	closers []func()
}

// Serve runs everything until ctx is done, then stops it all in reverse order.
func Serve(ctx context.Context, opts Options) error {
	a, err := start(ctx, opts)
	if err != nil {
		return err
	}
	defer a.close()
	return a.run(ctx, opts)
}

func start(ctx context.Context, opts Options) (a *App, err error) {
	cfg := opts.Config
	a = &App{cfg: cfg, log: opts.Logger}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("serve: data directory: %w", err)
	}
	// Listen first: a taken port fails fast, before the slow parts start.
	if a.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("serve: listen on %s: %w", cfg.Listen, err)
	}
	a.closers = append(a.closers, func() { a.ln.Close() })
	if a.st, err = store.OpenDir(ctx, cfg.Data); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	a.closers = append(a.closers, func() { a.st.Close() })
	if a.mgr, err = manager.Open(ctx, cfg.Data, manager.Options{Logger: a.log}); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	a.closers = append(a.closers, func() { a.mgr.Close() })
	if err := installBundled(ctx, a.mgr, cfg.Plugins.Dir, a.log); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if a.tc, a.dev, err = dialTemporal(ctx, cfg, a.log); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	a.closers = append(a.closers, func() {
		a.tc.Close()
		if a.dev != nil {
			a.dev.Stop()
		}
	})
	a.eng = engine.NewClient(a.tc)
	if err := bootstrap(ctx, a.st, a.mgr, cfg, opts.Stdout, a.log); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	exec := guard.New(a.mgr, a.st.Warninglists())
	if a.workers, err = startWorkers(ctx, a.tc, a.st, exec, a.log); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	a.closers = append(a.closers, a.workers.stop)
	if a.router, err = trigger.New(trigger.Options{Store: a.st, Starter: a.eng, Runs: runEnder{a.eng, a.tc}, Logger: a.log}); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	uploads := filepath.Join(cfg.Data, "uploads")
	if err := os.MkdirAll(uploads, 0o700); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	a.api, err = server.New(server.Options{Store: a.st, Plugins: a.mgr, Runs: a.eng, UploadDir: uploads,
		Registry: reg, MaxBodyBytes: cfg.API.MaxBodyBytes, Logger: a.log, Version: opts.Version,
		OnIndicatorWrite: a.router.Notify})
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	return a, nil
}

// run serves the API and the router until ctx is done.
func (a *App) run(ctx context.Context, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.router.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Error("trigger router stopped", "err", err)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.workers.watch(ctx, 5*time.Second)
	}()
	addr := "http://" + a.ln.Addr().String()
	if opts.Stdout != nil {
		fmt.Fprintf(opts.Stdout, "rampart listening on %s\n", addr)
	}
	a.log.Info("serving", "api", addr, "data", a.cfg.Data, "temporal", a.temporalDesc())
	if opts.Ready != nil {
		opts.Ready(a.ln.Addr().String())
	}
	err := a.api.Serve(ctx, a.ln, server.Timeouts{Read: a.cfg.API.ReadTimeout, Write: a.cfg.API.WriteTimeout, Idle: a.cfg.API.IdleTimeout})
	cancel()
	wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func (a *App) temporalDesc() string {
	if a.dev != nil {
		return "embedded " + a.dev.Address()
	}
	return a.cfg.Temporal.Address
}

// close stops what started, last first.
func (a *App) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// runEnder gives the trigger router a cheap check of whether a run holding a concurrency
// key has ended: one DescribeWorkflowExecution, where engine.Client's Get also queries a
// running workflow (a round trip through the worker, for every held key, every sweep).
type runEnder struct {
	*engine.Client
	tc tclient.Client
}

func (r runEnder) Ended(ctx context.Context, runID string) (bool, error) {
	d, err := r.tc.DescribeWorkflowExecution(ctx, runID, "")
	if err != nil {
		return false, err
	}
	return d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
}

var _ trigger.RunEnder = runEnder{}

// dialTemporal starts the embedded server (or finds the one another process runs on the data
// directory) unless an external address is configured, and dials it.
func dialTemporal(ctx context.Context, cfg config.Config, log *slog.Logger) (tclient.Client, *devserver.Server, error) {
	addr, ns := cfg.Temporal.Address, cfg.Temporal.Namespace
	var dev *devserver.Server
	if cfg.Temporal.Embedded() {
		var err error
		dev, err = devserver.Start(devserver.Options{DataDir: cfg.Data, Namespace: ns, FrontendPort: cfg.Temporal.Port, Logger: log})
		if errors.Is(err, devserver.ErrLocked) {
			return nil, nil, fmt.Errorf("another rampart serve runs on %s: stop it, or use another --data", cfg.Data)
		}
		if err != nil {
			return nil, nil, err
		}
		addr = dev.Address()
	}
	c, err := temporalconn.Dial(ctx, temporalconn.Options{Address: addr, Namespace: ns, TLS: cfg.Temporal.ClientTLS(), Logger: log})
	if err != nil {
		if dev != nil {
			dev.Stop()
		}
		return nil, nil, err
	}
	return c, dev, nil
}
