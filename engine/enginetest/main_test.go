package enginetest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/engine/devserver"
	"github.com/rampartsec/rampart/engine/temporalconn"
)

// serverEnv, when set, makes the test binary run the embedded server on that data directory
// until it is signalled: the restart test runs the server as a real process of its own.
const serverEnv = "RAMPART_ENGINETEST_SERVER_DIR"

// serverOnlyEnv makes the child run the server alone (benchmarks measure its memory).
const serverOnlyEnv = "RAMPART_ENGINETEST_SERVER_ONLY"

func TestMain(m *testing.M) {
	if os.Getenv(sdk.Handshake.MagicCookieKey) == sdk.Handshake.MagicCookieValue {
		sdk.Serve(leakyPlugin{}) // launched by the manager of TestSecretsStayOutOfHistory
		os.Exit(0)
	}
	if dir := os.Getenv(serverEnv); dir != "" {
		os.Exit(serveChild(dir))
	}
	code := m.Run()
	if bench != nil {
		bench.w.Stop()
		bench.hw.Stop()
		bench.tc.Close()
		bench.proc.stop(syscall.SIGTERM)
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// serveChild runs what `rampart serve` runs of the engine: the embedded server on dir and a
// worker whose executor appends each execution's idempotency key to dir/ledger (synced), so
// the parent can count executions across crashes.
func serveChild(dir string) int {
	opts := devserver.Options{DataDir: dir}
	if os.Getenv(serverOnlyEnv) == "memory" {
		opts = devserver.Options{Ephemeral: true}
	}
	srv, err := devserver.Start(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if os.Getenv(serverOnlyEnv) != "" {
		fmt.Printf("addr %s\n", srv.Address())
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		srv.Stop()
		return 0
	}
	ledger, err := os.OpenFile(filepath.Join(dir, "ledger"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var mu sync.Mutex
	exec := actions.ExecutorFunc(func(_ context.Context, r actions.Request) (map[string]any, error) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(ledger, r.IdempotencyKey)
		return r.Input, ledger.Sync()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	tc, err := temporalconn.Dial(ctx, temporalconn.Options{Address: srv.Address(), Namespace: srv.Namespace()})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w, err := engine.NewWorker(tc, engine.WorkerOptions{Workflows: true, Orgs: []string{"acme"}, Executor: exec})
	if err == nil {
		err = w.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("addr %s\n", srv.Address())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	w.Stop()
	tc.Close()
	if err := srv.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// serverProcess is the embedded server running in a child process.
type serverProcess struct {
	cmd  *exec.Cmd
	addr string
}

func startServerProcess(t testing.TB, dir string, env ...string) *serverProcess {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), serverEnv+"="+dir), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "addr "); ok {
				lines <- a
			}
		}
	}()
	select {
	case addr := <-lines:
		return &serverProcess{cmd: cmd, addr: addr}
	case <-ctx.Done():
		cmd.Process.Kill()
		t.Fatal("server process did not start")
	}
	return nil
}

// ledger counts the executions the server processes of dir recorded, by idempotency key.
func readLedger(t testing.TB, dir string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "ledger"))
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, l := range strings.Fields(string(b)) {
		n[l]++
	}
	return n
}

// client dials the server process.
func (p *serverProcess) client(t testing.TB) (*engine.Client, func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tc, err := temporalconn.Dial(ctx, temporalconn.Options{Address: p.addr, Namespace: devserver.DefaultNamespace})
	if err != nil {
		t.Fatal(err)
	}
	return engine.NewClient(tc), tc.Close
}

// stop ends the server process: SIGTERM for a clean shutdown, SIGKILL for a crash.
func (p *serverProcess) stop(sig syscall.Signal) {
	p.cmd.Process.Signal(sig)
	p.cmd.Wait()
}
