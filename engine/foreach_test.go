package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/rampartsec/rampart/actions"
)

// TestForEachMaxParallel checks that no more than max_parallel items run at once, and that
// max_parallel items do run together.
func TestForEachMaxParallel(t *testing.T) {
	for _, par := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("max_parallel %d", par), func(t *testing.T) {
			var now, peak atomic.Int64
			exec := actions.ExecutorFunc(func(_ context.Context, r actions.Request) (map[string]any, error) {
				n := now.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(30 * time.Millisecond)
				now.Add(-1)
				return map[string]any{}, nil
			})
			var s testsuite.WorkflowTestSuite
			s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
			env := s.NewTestWorkflowEnvironment()
			Register(env, &Activities{Executor: exec})
			env.ExecuteWorkflow(WorkflowName, input(header+fmt.Sprintf(`  - id: e
    uses: test/conc
    for_each: ${{ [1, 2, 3, 4, 5, 6] }}
    max_parallel: %d
`, par)))
			r := result(t, env)
			if r.Status != RunSucceeded {
				t.Fatalf("run %s: %s", r.Status, r.Error)
			}
			if got := peak.Load(); got != int64(par) {
				t.Errorf("peak concurrency %d, want %d", got, par)
			}
		})
	}
}
