package enginetest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"

	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/actions/sdk"
	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/playbooks"
)

// leakyPlugin is what this test binary serves when the manager launches it as a plugin: a
// webhook that sends its connection's token as a Bearer header, as the bundled webhook
// backends do, and then misbehaves by echoing the token in its output and its error.
type leakyPlugin struct{}

func (leakyPlugin) Describe() sdk.Description {
	return sdk.Description{
		Name: "leaky", Version: "1.0.0", Description: "echoes its connection's secret, for TestSecretsStayOutOfHistory",
		Backends: []sdk.Backend{{Name: "webhook", ConnectionSchema: `{"type":"object","required":["url","token"],"additionalProperties":false,
			"properties":{"url":{"type":"string"},"token":{"type":"string","x-secret":true}}}`}},
		Actions: []sdk.Action{
			{Name: "send", Input: `{"type":"object"}`, Output: `{"type":"object"}`, NeedsConnection: true},
			{Name: "fail", Input: `{"type":"object"}`, Output: `{"type":"object"}`, NeedsConnection: true},
		},
	}
}

func (leakyPlugin) Execute(ctx context.Context, c sdk.Call) (map[string]any, error) {
	tok, _ := c.Connection["token"].(string)
	switch c.Action {
	case "send":
		body, _ := json.Marshal(c.Input)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Connection["url"].(string), bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, sdk.Errorf(sdk.CodeUnavailable, true, "post: %v", err)
		}
		resp.Body.Close()
		return map[string]any{"status": resp.StatusCode, "sent_with": "Bearer " + tok,
			"connection": c.Connection, "echo": []any{map[string]any{"token": tok}}}, nil
	case "fail":
		return nil, sdk.Errorf(sdk.CodePermissionDenied, false, "the server refused token %s", tok)
	}
	return nil, sdk.Errorf(sdk.CodeUnknownAction, false, "no action %s", c.Action)
}

func (leakyPlugin) CheckConnection(context.Context, string, map[string]any) (string, error) {
	return "ok", nil
}

const leakPlaybook = `name: leak
on:
  indicator:
    types: [ipv4]
steps:
  - id: send
    uses: leaky/send
    connection: hook
    with: {value: "${{ indicator.value }}"}
  - id: relay
    uses: leaky/send
    connection: hook
    with: {value: "${{ steps.send.output.sent_with }}"}
  - id: refused
    uses: leaky/fail
    connection: hook
    retry: {attempts: 1}
    on_error: continue
`

// TestSecretsStayOutOfHistory runs a playbook through the real actions manager on the
// embedded Temporal server, with a connection whose token is a secret and a plugin that
// echoes the token in its output and its error. The token reaches the plugin (the webhook
// receives it), and appears in no event of the workflow's full history, in the run record,
// nor in the manager's log.
func TestSecretsStayOutOfHistory(t *testing.T) {
	const secret = "s3cr3t-e2e-token-9f1c7b"
	t.Setenv("RAMPART_SECRET_KEY", "") // a key file in the data directory
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var mu sync.Mutex
	var auths, bodies []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := new(bytes.Buffer)
		b.ReadFrom(r.Body)
		mu.Lock()
		auths, bodies = append(auths, r.Header.Get("Authorization")), append(bodies, b.String())
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer hook.Close()

	var logs, pluginOut syncBuffer
	m, err := manager.Open(ctx, t.TempDir(), manager.Options{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), PluginOutput: &pluginOut})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Install(ctx, os.Args[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddConnection(ctx, manager.NewConnection{Org: "acme", Name: "hook", Plugin: "leaky", Backend: "webhook",
		Config: map[string]any{"url": hook.URL}, Secrets: map[string]any{"token": secret}}); err != nil {
		t.Fatal(err)
	}

	s := startStack(t, m)
	defer s.stop()
	id, started, err := s.client.Start(ctx, engine.StartRequest{Org: "acme", PlaybookName: "leak", Version: 1,
		Source: []byte(leakPlaybook), Priority: 50, Trigger: engine.Trigger{
			Indicator: &playbooks.Indicator{ID: "i1", Type: "ipv4", Value: "198.51.100.7"},
			Event:     &playbooks.Event{ID: "ev-leak", Kind: "indicator.created"}}})
	if err != nil || !started {
		t.Fatalf("start: %v %v", started, err)
	}
	r, err := s.client.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != engine.RunSucceeded {
		t.Fatalf("run %s: %s", r.Status, r.Error)
	}

	// The plugin did get the secret: both sends carried it to the webhook.
	mu.Lock()
	if len(auths) != 2 || auths[0] != "Bearer "+secret || auths[1] != "Bearer "+secret {
		t.Fatalf("webhook saw Authorization %q", auths)
	}
	if !strings.Contains(bodies[1], "Bearer [redacted]") || strings.Contains(bodies[1], secret) {
		t.Errorf("the relay step's input (the first step's output) is %s", bodies[1])
	}
	mu.Unlock()
	// What the run shows of the plugin's echo is redacted.
	if out, _ := r.Step("send").Output.(map[string]any); out == nil || out["sent_with"] != "Bearer [redacted]" {
		t.Errorf("send output %v", r.Step("send").Output)
	}
	if st := r.Step("refused"); st.Status != playbooks.StatusFailed || !strings.Contains(st.Error, "refused token [redacted]") {
		t.Errorf("refused step: %s %q", st.Status, st.Error)
	}

	// Every event of the history, serialised whole: payloads (activity inputs and results,
	// failures, the workflow's result, queries' memo, search attributes) are in it verbatim.
	var events int
	var sawRedacted bool
	hist := s.tc.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for hist.HasNext() {
		ev, err := hist.Next()
		if err != nil {
			t.Fatal(err)
		}
		events++
		raw, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("history event %d (%s) holds the secret", ev.GetEventId(), ev.GetEventType())
		}
		sawRedacted = sawRedacted || bytes.Contains(raw, []byte("Bearer [redacted]"))
	}
	if events == 0 || !sawRedacted {
		t.Fatalf("test is broken: %d events, redacted output seen: %v", events, sawRedacted)
	}

	// The run record as the API serves it.
	got, err := s.client.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := json.Marshal(got)
	if bytes.Contains(rec, []byte(secret)) || !bytes.Contains(rec, []byte("[redacted]")) {
		t.Errorf("run record: %s", rec)
	}
	for name, text := range map[string]string{"manager log": logs.String(), "plugin output": pluginOut.String()} {
		if strings.Contains(text, secret) {
			t.Errorf("the %s holds the secret", name)
		}
	}
	if !strings.Contains(logs.String(), "leaky/send") {
		t.Errorf("no warning about the echoed secret in the manager log: %s", logs.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger and plugin output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
