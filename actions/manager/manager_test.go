package manager_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/manager"
)

// open returns a manager on a fresh data directory with the fault plugin (this test binary)
// installed.
func open(t *testing.T, o manager.Options) (*manager.Manager, string) {
	t.Helper()
	dir := t.TempDir()
	if o.PluginOutput == nil {
		o.PluginOutput = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m, err := manager.Open(context.Background(), dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if _, err := m.Install(context.Background(), os.Args[0]); err != nil {
		t.Fatal(err)
	}
	return m, dir
}

func TestInstallRecordsAndCatalog(t *testing.T) {
	m, dir := open(t, manager.Options{})
	ctx := context.Background()
	bin, _ := os.ReadFile(os.Args[0])
	sum := sha256.Sum256(bin)
	p, err := m.Get(ctx, "fault")
	if err != nil || p == nil {
		t.Fatalf("Get = %v, %v", p, err)
	}
	if p.Version != "1.0.0" || p.SHA256 != hex.EncodeToString(sum[:]) || len(p.Description.Actions) != 9 {
		t.Fatalf("recorded %s %s with %d actions", p.Version, p.SHA256, len(p.Description.Actions))
	}
	installed, err := os.ReadFile(filepath.Join(dir, "plugins", "rampart-plugin-fault"))
	if err != nil || !bytes.Equal(installed, bin) {
		t.Fatalf("binary not copied into data/plugins: %v", err)
	}
	// A second manager on the same directory (another process) sees the same catalog.
	m2, err := manager.Open(ctx, dir, manager.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	for _, tt := range []struct {
		action string
		ok     bool
	}{
		{"fault/echo", true}, {"fault/leak", true}, {"core/http", true}, {"core/log", true},
		{"core/echo", true}, {"fault/nope", false}, {"nope/echo", false}, {"fault", false},
	} {
		s, ok := m2.Lookup(tt.action)
		if ok != tt.ok || (ok && s.Name != tt.action) {
			t.Errorf("Lookup(%q) = %q, %v; want ok=%v", tt.action, s.Name, ok, tt.ok)
		}
	}
	if s, _ := m2.Lookup("fault/leak"); !s.NeedsConnection {
		t.Error("NeedsConnection lost between Describe and Lookup")
	}
	if err := m.Remove(ctx, "fault"); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Lookup("fault/echo"); ok {
		t.Error("removed plugin still in the catalog")
	}
	if _, err := os.Stat(filepath.Join(dir, "plugins", "rampart-plugin-fault")); !os.IsNotExist(err) {
		t.Error("removed plugin's binary is still there")
	}
}

func TestInstallRefusesNonPlugins(t *testing.T) {
	m, err := manager.Open(context.Background(), t.TempDir(), manager.Options{PluginOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	empty := t.TempDir()
	for _, path := range []string{"/bin/true", empty, filepath.Join(empty, "missing")} {
		if _, err := m.Install(context.Background(), path); err == nil {
			t.Errorf("Install(%s) succeeded", path)
		}
	}
}

func TestExecuteOutcomes(t *testing.T) {
	m, _ := open(t, manager.Options{})
	tests := []struct {
		name      string
		req       actions.Request
		code      string // "" success
		retryable bool
		msg       string
		timeout   time.Duration // sets req.Deadline when the subtest starts
	}{
		{name: "echo", req: actions.Request{Org: "acme", Action: "fault/echo", Input: map[string]any{"n": 3}, IdempotencyKey: "run1/step/0"}},
		{name: "input breaks schema", req: actions.Request{Action: "fault/echo", Input: map[string]any{"n": "three"}},
			code: actions.CodeInvalidInput, msg: "input.n: got string, want integer"},
		{name: "unknown action", req: actions.Request{Action: "fault/nope"}, code: actions.CodeUnknownAction, msg: `no action "nope"`},
		{name: "unknown plugin", req: actions.Request{Action: "ghost/nope"}, code: actions.CodeUnknownAction, msg: "no plugin"},
		{name: "output breaks schema", req: actions.Request{Action: "fault/badoutput"}, code: actions.CodeInvalidOutput,
			msg: "output.count: got string, want integer"},
		{name: "crash mid-call", req: actions.Request{Action: "fault/crash"}, code: actions.CodeUnavailable, retryable: true,
			msg: "exited during the call"},
		{name: "hang past deadline", req: actions.Request{Action: "fault/hang"}, timeout: 300 * time.Millisecond,
			code: actions.CodeTimeout, retryable: true, msg: "did not answer before the deadline"},
		{name: "missing connection", req: actions.Request{Org: "acme", Action: "fault/conn"}, code: actions.CodeConnection, msg: "needs a connection"},
		{name: "unknown connection", req: actions.Request{Org: "acme", Action: "fault/conn", Connection: "nope"}, code: actions.CodeConnection, msg: `no connection "nope"`},
		{name: "core echo", req: actions.Request{Action: "core/echo", Input: map[string]any{"a": "b"}}},
		{name: "core log needs message", req: actions.Request{Action: "core/log", Input: map[string]any{}}, code: actions.CodeInvalidInput, msg: "missing property 'message'"},
		{name: "echo after crash restarts", req: actions.Request{Action: "fault/echo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			if tt.timeout > 0 {
				tt.req.Deadline = start.Add(tt.timeout)
			}
			out, err := m.Execute(context.Background(), tt.req)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Execute: %v", err)
				}
				if out == nil {
					t.Fatal("nil output")
				}
				return
			}
			e := actions.AsError(err)
			if e == nil || e.Code != tt.code || e.Retryable != tt.retryable || !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("error = %#v; want code %s retryable %v containing %q", e, tt.code, tt.retryable, tt.msg)
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("took %v", time.Since(start))
			}
		})
	}
	out, err := m.Execute(context.Background(), actions.Request{Org: "acme", Action: "fault/echo", Input: map[string]any{"n": 3},
		IdempotencyKey: "run1/step/0", Deadline: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if out["key"] != "run1/step/0" || out["org"] != "acme" || out["has_deadline"] != true || out["input"].(map[string]any)["n"] != float64(3) {
		t.Fatalf("plugin saw %v", out)
	}
}

func pidOf(t *testing.T, m *manager.Manager) int {
	t.Helper()
	out, err := m.Execute(context.Background(), actions.Request{Action: "fault/pid"})
	if err != nil {
		t.Fatal(err)
	}
	return int(out["pid"].(float64))
}

func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !strings.Contains(string(b), ") Z ")
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 100 && alive(pid); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		t.Fatalf("plugin process %d is still running: an orphan", pid)
	}
}

func TestProcessReusedRestartedAndKilled(t *testing.T) {
	m, _ := open(t, manager.Options{})
	p1 := pidOf(t, m)
	if p2 := pidOf(t, m); p2 != p1 {
		t.Fatalf("second call ran in process %d, first in %d: not reused", p2, p1)
	}
	if _, err := m.Execute(context.Background(), actions.Request{Action: "fault/crash"}); err == nil {
		t.Fatal("crash reported success")
	}
	waitGone(t, p1)
	p3 := pidOf(t, m)
	if p3 == p1 {
		t.Fatal("not restarted after the crash")
	}
	// A hung call is abandoned at its deadline; Close still kills the process.
	m.Execute(context.Background(), actions.Request{Action: "fault/hang", Deadline: time.Now().Add(100 * time.Millisecond)})
	m.Close()
	waitGone(t, p3)
}

func TestConcurrencyIsBounded(t *testing.T) {
	m, _ := open(t, manager.Options{MaxConcurrent: 1})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.Execute(context.Background(), actions.Request{Action: "fault/hang", Deadline: time.Now().Add(1500 * time.Millisecond)})
	}()
	time.Sleep(300 * time.Millisecond) // the hang holds the one slot
	_, err := m.Execute(context.Background(), actions.Request{Action: "fault/echo", Deadline: time.Now().Add(300 * time.Millisecond)})
	if e := actions.AsError(err); e == nil || e.Code != actions.CodeTimeout || !strings.Contains(e.Message, "call slots") {
		t.Fatalf("second call: %v; want a timeout waiting for a slot", err)
	}
	wg.Wait()
	if _, err := m.Execute(context.Background(), actions.Request{Action: "fault/echo"}); err != nil {
		t.Fatalf("slot not released: %v", err)
	}
}

func TestTamperedBinaryIsRefused(t *testing.T) {
	m, dir := open(t, manager.Options{})
	path := filepath.Join(dir, "plugins", "rampart-plugin-fault")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("tampered"))
	f.Close()
	_, err = m.Execute(context.Background(), actions.Request{Action: "fault/echo"})
	e := actions.AsError(err)
	if e == nil || e.Code != actions.CodeRefused || e.Retryable ||
		!strings.Contains(e.Message, "changed since install") || !strings.Contains(e.Message, "rampart plugin install") {
		t.Fatalf("error = %#v; want a non-retryable refusal saying how to reinstall", e)
	}
	// Reinstalling a trusted binary makes it run again.
	if _, err := m.Install(context.Background(), os.Args[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Execute(context.Background(), actions.Request{Action: "fault/echo"}); err != nil {
		t.Fatalf("after reinstall: %v", err)
	}
}
