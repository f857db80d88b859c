package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/server"
	"github.com/rampartsec/rampart/server/client"
)

// binDir holds rampart and the bundled plugins, built once for the package.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rampart-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := 1
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles the binary and the plugins as `make build` does.
func build(dir string) error {
	targets := map[string]string{
		"rampart":                    "github.com/rampartsec/rampart/cmd/rampart",
		"rampart-plugin-firewall":    "github.com/rampartsec/rampart/plugins/firewall",
		"rampart-plugin-dnssinkhole": "github.com/rampartsec/rampart/plugins/dnssinkhole",
		"rampart-plugin-ticketing":   "github.com/rampartsec/rampart/plugins/ticketing",
	}
	for name, pkg := range targets {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg).CombinedOutput()
		if err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return nil
}

// examplesDir is the repository's example playbooks, which the demo loads.
func examplesDir(t testing.TB) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "examples", "playbooks"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// instance is one `rampart serve` process.
type instance struct {
	t      testing.TB
	data   string
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:port
	token  string // the admin token, from the first start
	stderr *lockedBuffer
	done   chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var (
	tokenLine  = regexp.MustCompile(`^admin token: (rmp_\S+)$`)
	listenLine = regexp.MustCompile(`^rampart listening on (http://\S+)$`)
)

// serve starts rampart serve on data (a fresh directory, or one a previous instance used)
// and waits until it listens. extraEnv adds environment variables.
func serve(t testing.TB, data string, extraEnv ...string) *instance {
	t.Helper()
	in := &instance{t: t, data: data, stderr: &lockedBuffer{}, done: make(chan struct{})}
	in.cmd = exec.Command(filepath.Join(binDir, "rampart"), "serve", "--data", data, "--listen", "127.0.0.1:0")
	in.cmd.Env = append(os.Environ(), "RAMPART_DEMO_PLAYBOOKS="+examplesDir(t), "RAMPART_LOG_LEVEL=info")
	in.cmd.Env = append(in.cmd.Env, extraEnv...)
	in.cmd.Stderr = in.stderr
	stdout, err := in.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if m := tokenLine.FindStringSubmatch(line); m != nil {
				in.token = m[1]
			}
			if m := listenLine.FindStringSubmatch(line); m != nil {
				in.base = m[1]
				close(ready)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		_ = in.cmd.Wait()
		close(in.done)
	}()
	select {
	case <-ready:
	case <-in.done:
		t.Fatalf("rampart serve exited before listening:\n%s", in.stderr.String())
	case <-time.After(90 * time.Second):
		in.kill()
		t.Fatalf("rampart serve did not listen within 90s:\n%s", in.stderr.String())
	}
	t.Cleanup(func() {
		in.stop()
		if t.Failed() {
			t.Logf("serve's log:\n%s", tail(in.stderr.String(), 60))
		}
	})
	return in
}

// tail returns the last n lines of a log that are not the embedded Temporal server's.
func tail(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, `msg="temporal: `) {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// kill sends SIGKILL and waits for the process to die.
func (in *instance) kill() {
	_ = in.cmd.Process.Signal(syscall.SIGKILL)
	<-in.done
}

// stop asks for a graceful shutdown (SIGTERM), killing after a grace period.
func (in *instance) stop() {
	select {
	case <-in.done:
		return
	default:
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.done:
	case <-time.After(30 * time.Second):
		in.kill()
	}
}

// cli runs a rampart CLI command against the instance's data directory and API.
func (in *instance) cli(token string, args ...string) (stdout, stderr string, code int) {
	in.t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "rampart"), append(args, "--data", in.data)...)
	cmd.Env = append(os.Environ(), "RAMPART_SERVER="+in.base, "RAMPART_TOKEN="+token)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		in.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// addUser adds a user with roles to org through `rampart admin` and returns its token.
func (in *instance) addUser(org, name string, roles ...string) string {
	in.t.Helper()
	out, errs, code := in.cli("", "admin", "user", "add", name, "--org", org, "--role", strings.Join(roles, ","))
	if code != 0 {
		in.t.Fatalf("admin user add: exit %d: %s", code, errs)
	}
	m := regexp.MustCompile(`(?m)^token: (\S+)$`).FindStringSubmatch(out)
	if m == nil {
		in.t.Fatalf("admin user add printed no token: %q", out)
	}
	return m[1]
}

func (in *instance) client(token string) *client.Client { return client.New(in.base, token) }

// waitFor polls cond every 50ms until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s (last error: %v)", timeout, what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fileHasLine reports whether the file has the exact line.
func fileHasLine(path, line string) (bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) == line {
			return true, nil
		}
	}
	return false, nil
}

// runs lists the runs of the token's organisation that match the query.
func runs(t testing.TB, c *client.Client, query string) []engine.Summary {
	t.Helper()
	var page server.Page[engine.Summary]
	if err := c.Do(context.Background(), "GET", "/api/v1/runs?limit=1000&"+query, nil, &page); err != nil {
		t.Fatalf("list runs: %v", err)
	}
	return page.Items
}

// getRun reads a run's record.
func getRun(t testing.TB, c *client.Client, id string) *engine.Run {
	t.Helper()
	var r engine.Run
	if err := c.Do(context.Background(), "GET", server.RunPath(id), nil, &r); err != nil {
		t.Fatalf("get run %s: %v", id, err)
	}
	return &r
}

// rawRequest sends a raw body and returns the status and decoded problem (if any).
func rawRequest(t testing.TB, method, url, token, ctype, body string) (int, *server.Problem) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "application/problem+json" {
		return resp.StatusCode, nil
	}
	var p server.Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, &p
}

func ioCopy(w io.Writer, resp *http.Response) (int64, error) { return io.Copy(w, resp.Body) }
