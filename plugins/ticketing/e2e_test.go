package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rampartsec/rampart/actions"
	"github.com/rampartsec/rampart/actions/manager"
	"github.com/rampartsec/rampart/plugins/internal/plugintest"
)

// TestThroughTheManager installs this binary as the ticketing plugin and creates a ticket
// twice with one idempotency key through the manager (webhook backend): one ticket, and
// the plugin's state directory under data/plugins/state remembers it across a restart.
func TestThroughTheManager(t *testing.T) {
	ctx := context.Background()
	var posts int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		if body["action"] == "create" {
			posts++
			if r.Header.Get("Idempotency-Key") != "run-1/ticket/0" {
				w.WriteHeader(400)
				return
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"id": "T-1", "key": "T-1", "url": "https://tickets.example/T-1"})
	}))
	defer srv.Close()
	m, _ := plugintest.InstallSelf(t, t.TempDir())
	if _, err := m.AddConnection(ctx, manager.NewConnection{Org: "acme", Name: "hook", Plugin: "ticketing", Backend: "webhook",
		Config: map[string]any{"url": srv.URL}, Secrets: map[string]any{"token": "tok-123"}}); err != nil {
		t.Fatal(err)
	}
	req := actions.Request{Org: "acme", Action: "ticketing/create", Connection: "hook", IdempotencyKey: "run-1/ticket/0",
		Input: map[string]any{"title": "Blocked 192.0.2.1"}}
	for i, want := range []bool{true, false} {
		if i == 1 {
			m.Stop("ticketing") // a new process must still remember the key
		}
		out, err := m.Execute(ctx, req)
		if err != nil || out["id"] != "T-1" || out["created"] != want {
			t.Fatalf("create %d: %v %v", i, out, err)
		}
	}
	if posts != 1 {
		t.Fatalf("%d tickets created", posts)
	}
}
