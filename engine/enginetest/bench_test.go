package enginetest

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/playbooks"
)

// The benchmarks of docs/performance.md. One server process (the embedded server on a data
// directory, as `rampart serve` runs it) serves both; the worker and the client are in the
// test process:
//
//	go test ./engine/enginetest -run '^$' -bench . -benchtime 200x
//
// RAMPART_BENCH_INFLIGHT=N keeps N runs in flight (default 8); RAMPART_BENCH_STORE=memory runs the server on in-memory SQLite instead of data/temporal.db.
//
// Each reports runs/s, p50 and p99 start-to-end latency (ms), history events per step and
// the server process's resident memory at idle and at the end of the load (MB).

const benchPlaybook = `name: bench
on:
  indicator:
    types: [ipv4]
steps:
  - id: one
    uses: test/noop
    with: {v: "${{ indicator.value }}"}
  - id: two
    uses: test/noop
    with: {v: "${{ steps.one.output.v }}"}
  - id: three
    uses: test/noop
    with: {v: "${{ steps.two.output.v }}"}
`

// handWritten is the baseline: the same three actions, written as a plain workflow.
func handWritten(ctx workflow.Context, v string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: engine.OrgQueue("acme"), StartToCloseTimeout: engine.DefaultStepTimeout,
		HeartbeatTimeout: 20 * time.Second, Priority: temporal.Priority{PriorityKey: 3},
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 3}})
	for i, step := range []string{"one", "two", "three"} {
		var out engine.ActionOutput
		in := engine.ActionInput{Org: "acme", Action: "test/noop", Input: map[string]any{"v": v},
			IdempotencyKey: workflow.GetInfo(ctx).WorkflowExecution.ID + "/" + step + "/0"}
		if err := workflow.ExecuteActivity(ctx, engine.ActionActivityName, in).Get(ctx, &out); err != nil {
			return "", fmt.Errorf("step %d: %w", i, err)
		}
		v, _ = out.Output["v"].(string)
	}
	return v, nil
}

var noop = actions.ExecutorFunc(func(_ context.Context, r actions.Request) (map[string]any, error) {
	return r.Input, nil
})

type benchEnv struct {
	proc *serverProcess
	dir  string
	tc   client.Client
	c    *engine.Client
	w    *engine.Worker
	hw   worker.Worker
}

var (
	benchOnce sync.Once
	bench     *benchEnv
)

// benchStack is shared by the benchmarks of one `go test` run, so they are measured on one
// server, side by side.
func benchStack(b *testing.B) *benchEnv {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rampart-bench-")
		if err != nil {
			b.Fatal(err)
		}
		store := "file"
		if os.Getenv("RAMPART_BENCH_STORE") == "memory" {
			store = "memory"
		}
		p := startServerProcess(b, dir, serverOnlyEnv+"="+store)
		c, _ := p.client(b)
		tc := c.Temporal()
		w, err := engine.NewWorker(tc, engine.WorkerOptions{Workflows: true, Orgs: []string{"acme"}, Executor: noop})
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Start(); err != nil {
			b.Fatal(err)
		}
		hw := worker.New(tc, "bench-handwritten", worker.Options{})
		hw.RegisterWorkflowWithOptions(handWritten, workflow.RegisterOptions{Name: "bench.handwritten"})
		if err := hw.Start(); err != nil {
			b.Fatal(err)
		}
		bench = &benchEnv{proc: p, dir: dir, tc: tc, c: c, w: w, hw: hw}
	})
	return bench
}

// rssMB is the resident memory of process pid in MB.
func rssMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(f), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// load runs b.N runs with `inflight` at a time and reports the figures.
func load(b *testing.B, env *benchEnv, kind string, start func(ctx context.Context, i int) (client.WorkflowRun, error)) {
	inflight := 8
	if n, err := strconv.Atoi(os.Getenv("RAMPART_BENCH_INFLIGHT")); err == nil && n > 0 {
		inflight = n
	}
	ctx := context.Background()
	idle := rssMB(env.proc.cmd.Process.Pid)
	lat := make([]time.Duration, b.N)
	sem := make(chan struct{}, inflight)
	var wg sync.WaitGroup
	var firstID string
	var mu sync.Mutex
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			s := time.Now()
			run, err := start(ctx, i)
			if err == nil {
				err = run.Get(ctx, nil)
			}
			if err != nil {
				b.Error(err)
				return
			}
			lat[i] = time.Since(s)
			mu.Lock()
			if firstID == "" {
				firstID = run.GetID()
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(t0)
	b.StopTimer()
	loaded := rssMB(env.proc.cmd.Process.Pid)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	events := 0
	it := env.tc.GetWorkflowHistory(ctx, firstID, "", false, 0)
	for it.HasNext() {
		if _, err := it.Next(); err != nil {
			b.Fatal(err)
		}
		events++
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "runs/s")
	b.ReportMetric(float64(lat[b.N/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(b.N-1, b.N*99/100)].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(events)/3, "events/step")
	b.ReportMetric(idle, "rss-idle-MB")
	b.ReportMetric(loaded, "rss-load-MB")
	_ = kind
}

// BenchmarkInterpreter3Steps: a 3-step playbook through the interpreter.
func BenchmarkInterpreter3Steps(b *testing.B) {
	env := benchStack(b)
	src := []byte(benchPlaybook)
	run := time.Now().UnixNano()
	load(b, env, "interpreter", func(ctx context.Context, i int) (client.WorkflowRun, error) {
		id, _, err := env.c.Start(ctx, engine.StartRequest{Org: "acme", PlaybookName: "bench", Version: 1, Source: src,
			Priority: 50, Trigger: engine.Trigger{Indicator: &playbooks.Indicator{ID: "i", Type: "ipv4", Value: "192.0.2.1"},
				Event: &playbooks.Event{ID: fmt.Sprintf("ev-%d-%d", run, i), Kind: "indicator.created"}}})
		if err != nil {
			return nil, err
		}
		return env.tc.GetWorkflow(ctx, id, ""), nil
	})
}

// BenchmarkHandWritten3Steps: the same three activities from a hand-written workflow.
func BenchmarkHandWritten3Steps(b *testing.B) {
	env := benchStack(b)
	run := time.Now().UnixNano()
	load(b, env, "handwritten", func(ctx context.Context, i int) (client.WorkflowRun, error) {
		return env.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("hw-%d-%d", run, i),
			TaskQueue: "bench-handwritten", Priority: temporal.Priority{PriorityKey: 3}}, "bench.handwritten", "192.0.2.1")
	})
}
