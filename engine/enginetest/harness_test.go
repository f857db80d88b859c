package enginetest

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/engine/devserver"
	"github.com/rampartsec/rampart/engine/temporalconn"
	"go.temporal.io/sdk/client"
)

// stack is an embedded server, a client and a worker polling the workflow queue and acme's.
type stack struct {
	srv    *devserver.Server
	tc     client.Client
	client *engine.Client
	worker *engine.Worker
}

// startStack starts an in-memory server in this process and a worker.
func startStack(t testing.TB, exec actions.Executor) *stack {
	t.Helper()
	opts := devserver.Options{Ephemeral: true}
	if os.Getenv("RAMPART_TEST_TEMPORAL_LOG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	srv, err := devserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	s := connectStack(t, srv.Address(), exec)
	s.srv = srv
	return s
}

// connectStack dials a server and starts a worker.
func connectStack(t testing.TB, addr string, exec actions.Executor) *stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tc, err := temporalconn.Dial(ctx, temporalconn.Options{Address: addr, Namespace: devserver.DefaultNamespace})
	if err != nil {
		t.Fatal(err)
	}
	w, err := engine.NewWorker(tc, engine.WorkerOptions{Workflows: true, Orgs: []string{"acme"}, Executor: exec})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	return &stack{tc: tc, client: engine.NewClient(tc), worker: w}
}

func (s *stack) stop() {
	s.worker.Stop()
	s.tc.Close()
	if s.srv != nil {
		s.srv.Stop()
	}
}

// ledger counts executions per idempotency key.
type ledger struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *ledger) executor() actions.Executor {
	return actions.ExecutorFunc(func(_ context.Context, r actions.Request) (map[string]any, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.n == nil {
			l.n = map[string]int{}
		}
		l.n[r.IdempotencyKey]++
		out := map[string]any{}
		for k, v := range r.Input {
			out[k] = v
		}
		return out, nil
	})
}

func (l *ledger) snapshot() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for k, v := range l.n {
		out[k] = v
	}
	return out
}

// waitFor polls the run record until cond holds.
func waitFor(t testing.TB, c *engine.Client, id string, cond func(*engine.Run) bool) *engine.Run {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r, err := c.Get(ctx, id)
		cancel()
		if os.Getenv("RAMPART_TEST_TRACE") != "" {
			if r != nil {
				t.Logf("waitFor %s: %s err=%v", id, r.Status, err)
			} else {
				t.Logf("waitFor %s: err=%v", id, err)
			}
		}
		if err == nil && cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s: condition not met (last %+v, err %v)", id, r, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// failUnknown fails test/unknown with a non-retryable error and passes the rest to next.
func failUnknown(next actions.Executor) actions.Executor {
	return actions.ExecutorFunc(func(ctx context.Context, r actions.Request) (map[string]any, error) {
		if r.Action == "test/unknown" {
			return nil, actions.Errorf(actions.CodeUnknownAction, false, "no action %s", r.Action)
		}
		return next.Execute(ctx, r)
	})
}
