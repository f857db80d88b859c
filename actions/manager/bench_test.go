package manager_test

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/actionv1"
	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/actions/sdk"
)

// percentiles runs f b.N times and reports p50 and p99 of one call.
func percentiles(b *testing.B, f func()) {
	b.Helper()
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		f()
		d = append(d, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	b.ReportMetric(float64(d[len(d)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Nanoseconds())/1e3, "p99-µs")
}

var noopReq = &actionv1.ExecuteRequest{Action: "echo", InputJson: []byte(`{"n":1}`), IdempotencyKey: "run/step/0"}

// BenchmarkNoopExecute compares one no-op Execute four ways: a direct in-process call of the
// plugin's Execute, a bare grpc-go unary call over a Unix socket to an in-process server,
// the generated client through go-plugin to the plugin process, and the manager's Execute
// (schema checks and JSON included) to the same process.
func BenchmarkNoopExecute(b *testing.B) {
	ctx := context.Background()
	b.Run("direct", func(b *testing.B) {
		p := faultPlugin{}
		percentiles(b, func() {
			if _, err := p.Execute(ctx, sdk.Call{Action: "echo", Input: map[string]any{"n": 1}}); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("bare-grpc", func(b *testing.B) {
		sock := filepath.Join(b.TempDir(), "s")
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), benchSockEnv+"="+sock)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		for i := 0; i < 200; i++ {
			if _, err := os.Stat(sock); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		cc, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer cc.Close()
		c := actionv1.NewActionPluginClient(cc)
		percentiles(b, func() {
			if _, err := c.Execute(ctx, noopReq); err != nil {
				b.Fatal(err)
			}
		})
	})
	m := openBench(b)
	b.Run("go-plugin", func(b *testing.B) {
		c := m.RawClient(b, "fault")
		percentiles(b, func() {
			if _, err := c.Execute(ctx, noopReq); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("manager", func(b *testing.B) {
		req := actions.Request{Action: "fault/echo", Input: map[string]any{"n": 1}, IdempotencyKey: "run/step/0"}
		percentiles(b, func() {
			if _, err := m.Execute(ctx, req); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkColdStart measures the first call after the plugin process was stopped: launch
// (SHA-256 of the binary, fork/exec, handshake) plus one Execute, for the example plugin
// (a 20 MB binary built the way third-party plugins are).
func BenchmarkColdStart(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "rampart-plugin-notify")
	if out, err := exec.Command("go", "build", "-o", bin, "../../examples/plugins/notify").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	m, err := manager.Open(context.Background(), b.TempDir(), manager.Options{PluginOutput: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Install(context.Background(), bin); err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(bin)
	b.ReportMetric(float64(fi.Size())/1e6, "binary-MB")
	percentiles(b, func() {
		m.Stop("notify")
		if err := m.Ping(context.Background(), "notify"); err != nil {
			b.Fatal(err)
		}
	})
}

// benchSockEnv makes the test binary serve the fault plugin over plain gRPC on a Unix
// socket, without go-plugin: the bare gRPC baseline, in a separate process like a plugin.
const benchSockEnv = "RAMPART_BENCH_GRPC_SOCK"

func serveBareGRPC(sock string) {
	ln, err := net.Listen("unix", sock)
	if err != nil {
		os.Exit(1)
	}
	srv := grpc.NewServer()
	actionv1.RegisterActionPluginServer(srv, sdk.NewServer(faultPlugin{}))
	srv.Serve(ln)
}

func openBench(b *testing.B) *benchManager {
	b.Helper()
	m, err := manager.Open(context.Background(), b.TempDir(), manager.Options{PluginOutput: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	if _, err := m.Install(context.Background(), os.Args[0]); err != nil {
		b.Fatal(err)
	}
	return &benchManager{m}
}

type benchManager struct{ *manager.Manager }

// RawClient returns the generated client the manager holds for the plugin's process.
func (m *benchManager) RawClient(b *testing.B, name string) actionv1.ActionPluginClient {
	c, err := m.Client(context.Background(), name)
	if err != nil {
		b.Fatal(err)
	}
	return c
}
